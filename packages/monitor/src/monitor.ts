/**
 * `attachMonitor()`: serve the live page, `/api/tree`, `/metrics`, `/healthz` and `/readyz` of
 * one `ServiceRunner` over HTTP, from what its `tree()` says and what the kernel publishes on
 * its `cobald:*` diagnostics channels while the monitor is attached.
 */
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { loadAssets } from './assets.js';
import { Collector } from './collector.js';
import { health, readiness, type Health, type HealthSources, type Readiness } from './health.js';
import { Metrics } from './metrics.js';
import type { SeriesPoint } from './series.js';
import { createMonitorServer, EventStreams } from './server.js';
import { queues } from './queues.js';
import { threadPools } from './thread-pools.js';
import { annotate, pageListLength, type MonitorTree, type TreeLike } from './tree-view.js';

/** What the monitor needs of a runner: a `ServiceRunner` of `@cobald/kernel` (any copy of it). */
export interface MonitoredRunner {
  tree(): object;
  readonly running: boolean;
}

/** Options of {@link attachMonitor}. */
export interface MonitorOptions {
  /**
   * The address to listen on. Default `127.0.0.1`: only this host can connect. Give another
   * (`0.0.0.0`, `::`, an interface's address) only where the network is trusted or a token is set.
   */
  readonly host?: string;
  /** The port; 0 (the default) picks a free one, see {@link Monitor.url}. */
  readonly port?: number;
  /** When set, every request must carry it: `Authorization: Bearer <token>` (or the page's cookie, see the docs). */
  readonly token?: string;
  /** The longest event-loop delay, in milliseconds, that `/healthz` still calls healthy. Default 5000. */
  readonly loopDelayLimit?: number;
  /** Whether `/metrics` has prom-client's default Node.js process metrics. Default true. */
  readonly defaultMetrics?: boolean;
}

/** A monitor attached to a runner: its address, its answers, and how to close it. */
export interface Monitor extends AsyncDisposable {
  /** Where it serves, e.g. `http://127.0.0.1:9464/`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The prom-client registry of `/metrics`, to add the application's own metrics to. */
  readonly registry: Registry;
  /** What `/healthz` answers now. */
  health(): Health;
  /** What `/readyz` answers now. */
  readiness(): Readiness;
  /** What `/api/tree` answers now. */
  tree(): MonitorTree;
  /** Stop serving (open pages are disconnected) and unsubscribe from the runtime. */
  close(): Promise<void>;
}

/** How many seconds of event-loop delay `/healthz` looks back on. */
const loopDelayWindow = 5;

/**
 * Serve a monitor for `runner` and resolve once it listens. Attach it before `accept()` to
 * see every payload from the start; it works with a runner in any state.
 *
 * @example
 * import { runtime } from '@cobald/kernel';
 * import { attachMonitor } from '@cobald/monitor';
 *
 * const monitor = await attachMonitor(runtime, { port: 9464 });
 * console.log(`monitor on ${monitor.url}`); // http://127.0.0.1:9464/
 * await runtime.accept();
 * await monitor.close(); // or, on Node 24+: `await using monitor = await attachMonitor(runtime)`
 */
export async function attachMonitor(runner: MonitoredRunner, options: MonitorOptions = {}): Promise<Monitor> {
  checkRunner(runner);
  const { host = '127.0.0.1', port = 0, token, loopDelayLimit = 5000, defaultMetrics = true } = checkOptions(options);
  const assets = await loadAssets();
  const streams = new EventStreams();
  const rawTree = (): TreeLike => runner.tree() as TreeLike;
  const sources: HealthSources = {
    tree: rawTree,
    running: () => runner.running,
    stopping: () => collector.stopping,
    failure: () => collector.failure,
    loopDelay: () => collector.loopDelay(loopDelayWindow),
    loopDelayLimit,
  };
  const status = () => ({ health: health(sources), ready: readiness(sources) });
  const withQueues = (tree: MonitorTree): MonitorTree => {
    const used = queues();
    return used.length > 0 ? { ...tree, queues: used } : tree;
  };
  const tree = (): MonitorTree => withQueues(annotate(rawTree(), (id) => collector.note(id), status()));
  const pageTree = (): MonitorTree => withQueues(annotate(rawTree(), (id) => collector.note(id), status(), pageListLength));
  const metrics = new Metrics(
    { tree: rawTree, threadPools, queues, health: () => health(sources), readiness: () => readiness(sources) },
    { defaultMetrics },
  );
  // A restart or a change of state reaches open pages at once, not with the next second's point.
  let changed: NodeJS.Timeout | undefined;
  const collector: Collector = new Collector({
    onRun: (flavour, kind, outcome, seconds) => metrics.observeRun(flavour, kind, outcome, seconds),
    onRestart: (event) => metrics.observeRestart(event),
    onTick: (point: SeriesPoint) => {
      if (streams.size > 0) streams.send('tick', { tree: pageTree(), point });
    },
    onChange: () => {
      if (changed || streams.size === 0) return;
      changed = setTimeout(() => {
        changed = undefined;
        streams.send('tree', { tree: pageTree() });
      }, 20);
      changed.unref();
    },
  });
  const server = createMonitorServer(
    {
      assets,
      token,
      tree,
      pageTree,
      series: () => collector.series.points(),
      health: () => health(sources),
      readiness: () => readiness(sources),
      metrics: () => metrics.expose(),
    },
    streams,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The monitor must not keep a daemon alive that has nothing left to do.
  server.unref();
  collector.open();
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      collector.close();
      metrics.close();
      clearTimeout(changed);
      streams.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return {
    url,
    host: address.address,
    port: address.port,
    registry: metrics.registry,
    health: () => health(sources),
    readiness: () => readiness(sources),
    tree,
    close,
    [Symbol.asyncDispose]: close,
  };
}

const knownOptions = ['host', 'port', 'token', 'loopDelayLimit', 'defaultMetrics'];

/** A runner is anything with `tree()` and `running`: a missing one would fail every request with a 500. */
function checkRunner(runner: MonitoredRunner): void {
  if (typeof (runner as Partial<MonitoredRunner> | null | undefined)?.tree !== 'function') {
    const got = runner === null ? 'null' : typeof runner;
    throw new TypeError(`attachMonitor() needs a runner (runtime or a ServiceRunner) with tree() and running, got ${got}`);
  }
}

function checkOptions(options: MonitorOptions): MonitorOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('the options must be an object');
  // A misspelt option (`prot: 9464`) would otherwise leave the monitor on a port nobody asked for.
  for (const key of Object.keys(options)) {
    if (!knownOptions.includes(key)) {
      throw new TypeError(`attachMonitor() has no option '${key}': it takes ${knownOptions.map((known) => `'${known}'`).join(', ')}`);
    }
  }
  const { host, port, token, loopDelayLimit, defaultMetrics } = options;
  if (defaultMetrics !== undefined && typeof defaultMetrics !== 'boolean') {
    throw new TypeError(`'defaultMetrics' must be true or false, got ${String(defaultMetrics)}`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === ''))
    throw new TypeError(`'host' must be a non-empty string, got ${String(host)}`);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new TypeError(`'port' must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (token !== undefined && (typeof token !== 'string' || token.trim() === '')) throw new TypeError("'token' must be a non-empty string");
  if (loopDelayLimit !== undefined && !(typeof loopDelayLimit === 'number' && loopDelayLimit > 0)) {
    throw new TypeError(`'loopDelayLimit' must be a positive number of milliseconds, got ${String(loopDelayLimit)}`);
  }
  return options;
}
