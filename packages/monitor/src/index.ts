/**
 * `@cobald/monitor`: a live page, Prometheus metrics, health and readiness for a running
 * cobald-ts daemon. `attachMonitor(runner)` serves them; `cobald run --monitor` does so for
 * the daemon.
 */
export { attachMonitor, type Monitor, type MonitorOptions, type MonitoredRunner } from './monitor.js';
export type { Health, Readiness } from './health.js';
export type { MonitorTree, MonitorNode } from './tree-view.js';
export type { SeriesPoint, FlavourSecond } from './series.js';
export type { ErrorNote } from './collector.js';
export type { ThreadPoolStats, ThreadPoolQuery } from './thread-pools.js';
export type { QueueStats, QueueQuery } from './queues.js';
