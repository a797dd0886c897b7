/**
 * The Prometheus metrics of `/metrics`, made with prom-client in a registry of the monitor's own
 * (not prom-client's global one, which the application may use for its own metrics). Label
 * values stay bounded: flavours, kinds, outcomes and states are few; payload names appear only
 * on restarts, which only adopted payloads and services have, and at most {@link namesKept} of
 * them; ids never.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { RestartEvent } from '@cobald/kernel';
import type { Outcome } from './collector.js';
import { DurationHistogram } from './duration-histogram.js';
import type { Health, Readiness } from './health.js';
import { ProcessMetrics } from './process-metrics.js';
import type { QueueStats } from './queues.js';
import type { ThreadPoolStats } from './thread-pools.js';
import { walkTree, type TreeLike } from './tree-view.js';

/** Distinct payload names on `cobald_restarts_total`; restarts of further names count as `other`. */
export const namesKept = 100;

/** Where the metrics read the runtime's current state at each scrape. */
export interface MetricSources {
  tree(): TreeLike;
  threadPools(): ThreadPoolStats | undefined;
  queues(): QueueStats[];
  health(): Health;
  readiness(): Readiness;
}

/** Upper bounds of the duration histogram, in seconds: from 100 µs to 5 minutes. */
const durationBuckets = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300];

export class Metrics {
  readonly registry = new Registry();
  readonly #durations: DurationHistogram;
  readonly #restarts: Counter<'name'>;
  readonly #names = new Set<string>();
  readonly #process: ProcessMetrics | undefined;

  constructor(sources: MetricSources, options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    new Gauge({
      name: 'cobald_payloads',
      help: 'Payloads under supervision by flavour and state (queued, running, restarting, stopping)',
      labelNames: ['flavour', 'state'] as const,
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, { flavour: string; state: string; n: number }>();
        walkTree(sources.tree(), (node) => {
          const key = `${node.flavour}\0${node.state}`;
          const count = counts.get(key);
          if (count) count.n++;
          else counts.set(key, { flavour: node.flavour, state: node.state, n: 1 });
        });
        for (const { flavour, state, n } of counts.values()) this.set({ flavour, state }, n);
      },
    });
    this.#durations = new DurationHistogram(durationBuckets, this.registry);
    this.#restarts = new Counter({
      name: 'cobald_restarts_total',
      help: `Restarts of adopted payloads and services by their restart policy, by payload name (at most ${namesKept} names, then "other")`,
      labelNames: ['name'] as const,
      registers,
    });
    const pool = (name: string, help: string, read: (stats: ThreadPoolStats) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const stats = sources.threadPools();
          this.set(stats ? read(stats) : 0);
        },
      });
    };
    pool('cobald_thread_pool_workers', 'Worker threads of the threading flavour that are alive', (s) => s.workers);
    pool('cobald_thread_pool_busy', 'Worker threads running a payload', (s) => s.busy);
    pool('cobald_thread_pool_idle', 'Worker threads waiting for a payload', (s) => s.idle);
    pool('cobald_thread_pool_queued', 'Payloads waiting for a worker thread', (s) => s.queued);
    new Gauge({
      name: 'cobald_queue_jobs',
      help: 'Jobs of the queues the runtime uses (BullMQ), by system, queue (at most 50) and state, as last read',
      labelNames: ['system', 'queue', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const stats of sources.queues()) {
          for (const state of ['waiting', 'active', 'failed', 'delayed', 'completed'] as const) {
            this.set({ system: stats.system, queue: stats.queue, state }, stats[state]);
          }
        }
      },
    });
    new Gauge({
      name: 'cobald_healthy',
      help: 'Whether /healthz answers 200: the runtime runs, no stop began, the event loop answers',
      registers,
      collect() {
        this.set(sources.health().ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cobald_ready',
      help: 'Whether /readyz answers 200: the runtime accepts and every service has started',
      registers,
      collect() {
        this.set(sources.readiness().ok ? 1 : 0);
      },
    });
    if (options.defaultMetrics !== false) this.#process = new ProcessMetrics(this.registry);
  }

  /** Stop what the default process metrics observe; the registry stays readable. */
  close(): void {
    this.#process?.close();
  }

  /** Count one ended payload run. */
  observeRun(flavour: string, kind: string, outcome: Outcome, seconds: number): void {
    this.#durations.observe(flavour, kind, outcome, seconds);
  }

  /** Count one restart. */
  observeRestart(event: RestartEvent): void {
    let name = event.name;
    if (!this.#names.has(name)) {
      if (this.#names.size >= namesKept) name = 'other';
      else this.#names.add(name);
    }
    this.#restarts.inc({ name });
  }

  /** The exposition text and its content type. */
  async expose(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
