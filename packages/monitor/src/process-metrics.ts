/**
 * prom-client's default Node.js process metrics, closed with the monitor. prom-client's
 * `collectDefaultMetrics()` starts a GC observer and an event-loop-delay histogram that nothing
 * can stop: every attachMonitor() left both behind, the observer holding the monitor's registry
 * and through it the runner, and every GC got slower by one more observer. So the metrics that
 * only read the process when scraped come from prom-client's own modules, and those two are
 * made here, under prom-client's names, and stopped by {@link ProcessMetrics.close}.
 */
import { monitorEventLoopDelay, PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Gauge, Histogram, type Registry } from 'prom-client';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';

const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** The default process metrics in `registry`, until {@link close}. */
export class ProcessMetrics {
  readonly #gc: PerformanceObserver;
  readonly #loop = monitorEventLoopDelay({ resolution: 10 });

  constructor(registry: Registry) {
    for (const add of [
      processCpuTotal,
      processStartTime,
      osMemoryHeap,
      processOpenFileDescriptors,
      processMaxFileDescriptors,
      processResources,
      processHandles,
      processRequests,
      heapSizeAndUsed,
      heapSpacesSizeAndUsed,
      version,
    ]) {
      add(registry, {});
    }
    const registers = [registry];

    const gcDurations = new Histogram({
      name: 'nodejs_gc_duration_seconds',
      help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.01, 0.1, 1, 2, 5],
      registers,
    });
    this.#gc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = gcKinds[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1];
        gcDurations.observe(kind ? { kind } : {}, entry.duration / 1000);
      }
    });
    this.#gc.observe({ entryTypes: ['gc'] });

    const loop = this.#loop;
    loop.enable();
    const gauge = (name: string, help: string) => new Gauge({ name: `nodejs_eventloop_lag_${name}_seconds`, help, registers });
    const min = gauge('min', 'The minimum recorded event loop delay.');
    const max = gauge('max', 'The maximum recorded event loop delay.');
    const mean = gauge('mean', 'The mean of the recorded event loop delays.');
    const stddev = gauge('stddev', 'The standard deviation of the recorded event loop delays.');
    const p50 = gauge('p50', 'The 50th percentile of the recorded event loop delays.');
    const p90 = gauge('p90', 'The 90th percentile of the recorded event loop delays.');
    const p99 = gauge('p99', 'The 99th percentile of the recorded event loop delays.');
    new Gauge({
      name: 'nodejs_eventloop_lag_seconds',
      help: 'Lag of event loop in seconds.',
      registers,
      // This one's collect sets them all: the delays since the last scrape, and how long a turn of the loop takes now.
      async collect() {
        const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
        min.set(seconds(loop.min));
        max.set(seconds(loop.max));
        mean.set(seconds(loop.mean));
        stddev.set(seconds(loop.stddev));
        p50.set(seconds(loop.percentile(50)));
        p90.set(seconds(loop.percentile(90)));
        p99.set(seconds(loop.percentile(99)));
        loop.reset();
        const start = process.hrtime.bigint();
        await nextTurn();
        this.set(Number(process.hrtime.bigint() - start) / 1e9);
      },
    });
  }

  /** Stop observing GCs and the event loop. */
  close(): void {
    this.#gc.disconnect();
    this.#loop.disable();
  }
}
