/** prom-client's modules of its default metrics, which come without types: each adds its metrics to a registry. */
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';
  const add: (registry: Registry, config: { prefix?: string; labels?: Record<string, string> }) => void;
  export default add;
}
