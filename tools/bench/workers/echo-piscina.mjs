// piscina's task function for the threading baselines: the same function the threading flavour runs.
export default (x) => x;
