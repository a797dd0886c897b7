/**
 * What the monitor learns from the kernel's `cobald:*` diagnostics channels while it is
 * attached: runs started and ended per flavour and second, `execute()` latencies, the last error
 * of each payload, restarts, and whether the runtime failed. Subscribed only while a monitor
 * is open, so that a runtime without one pays nothing.
 */
import { subscribe, tracingChannel, unsubscribe, type TracingChannelSubscribers } from 'node:diagnostics_channel';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { isCancellation, type PayloadTrace, type RestartEvent, type RuntimeEvent } from '@cobald/kernel';
import { quantile, Series, type FlavourSecond, type SeriesPoint } from './series.js';
import { threadPools } from './thread-pools.js';

/** How a payload run ended, as the duration histogram labels it. */
export type Outcome = 'done' | 'failed' | 'cancelled';

/** The last error of a payload, as the page and `/api/tree` show it: untrusted text. */
export interface ErrorNote {
  readonly name: string;
  readonly message: string;
  /** When it happened, in milliseconds since the epoch. */
  readonly at: number;
}

/** What the collector knows about one payload beyond the kernel's snapshot. */
export interface PayloadNote {
  lastError?: ErrorNote;
  /** When its newest run ended, in milliseconds since the epoch. */
  endedAt?: number;
}

/** Receives every ended run, for the metrics. */
export type RunObserver = (flavour: string, kind: string, outcome: Outcome, seconds: number) => void;

/** Receives every restart, for the metrics. */
export type RestartObserver = (event: RestartEvent) => void;

interface FlavourCounts {
  started: number;
  ended: number;
  /** Execute latencies of the current second, in milliseconds; at most `latencySamples`. */
  latencies: number[];
  /** Executes that ended this second, to sample `latencies` fairly when there are more. */
  executes: number;
}

/** Latencies kept per flavour and second for the percentiles (reservoir sampling beyond). */
const latencySamples = 2048;
/** Milliseconds between the event-loop delay timer's ticks; it measures each tick's interval, so this is subtracted. */
const loopResolution = 10;
/** Payloads whose last error is remembered. */
const notesKept = 1024;
/** Ends of adopted runs whose time is remembered (the kernel's tree lists fewer ended payloads). */
const endsKept = 1024;

/** Options of a {@link Collector}. */
export interface CollectorOptions {
  readonly onRun?: RunObserver;
  readonly onRestart?: RestartObserver;
  /** Called after every new point of the series, once a second. */
  readonly onTick?: (point: SeriesPoint) => void;
  /** Called on a restart or a change of the runtime's state, for live updates. */
  readonly onChange?: () => void;
  /** Milliseconds between points; 1000 but in tests. */
  readonly interval?: number;
}

export class Collector {
  readonly series = new Series();
  readonly #options: CollectorOptions;
  readonly #flavours = new Map<string, FlavourCounts>();
  #lastFlavour: string | undefined;
  #lastCounts: FlavourCounts | undefined;
  readonly #notes = new Map<number, PayloadNote>();
  // The newest ends of adopted runs: payload ids (0 for none) and times, and where the next goes.
  readonly #endIds = new Float64Array(endsKept);
  readonly #endAts = new Float64Array(endsKept);
  #endNext = 0;
  #endIndex: Map<number, number> | undefined;
  readonly #loop: IntervalHistogram = monitorEventLoopDelay({ resolution: loopResolution });
  #timer: NodeJS.Timeout | undefined;
  /** The failure that stopped the runtime last, until it runs again. */
  #failure: unknown;
  #stopping = false;
  #restarts = 0;

  constructor(options: CollectorOptions = {}) {
    this.#options = options;
  }

  /** Subscribe to the channels and start sampling. */
  open(): void {
    tracingChannel('cobald:payload').subscribe(this.#subscribers);
    subscribe('cobald:restart', this.#onRestart);
    subscribe('cobald:runtime', this.#onRuntime);
    this.#loop.enable();
    this.#timer = setInterval(() => this.#tick(), this.#options.interval ?? 1000);
    this.#timer.unref();
  }

  /** Unsubscribe and stop sampling. */
  close(): void {
    tracingChannel('cobald:payload').unsubscribe(this.#subscribers);
    unsubscribe('cobald:restart', this.#onRestart);
    unsubscribe('cobald:runtime', this.#onRuntime);
    this.#loop.disable();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** What is known about payload `id` beyond its snapshot. */
  note(id: number): PayloadNote | undefined {
    const note = this.#notes.get(id);
    const endedAt = this.#endTimes().get(id);
    if (endedAt === undefined) return note;
    return { ...note, endedAt };
  }

  /** When each payload of the ring of ends ended; made again only after runs ended since. */
  #endTimes(): Map<number, number> {
    if (this.#endIndex) return this.#endIndex;
    const index = new Map<number, number>();
    // Oldest first, so that a payload's newest end wins.
    for (let i = 0; i < endsKept; i++) {
      const slot = (this.#endNext + i) % endsKept;
      const id = this.#endIds[slot]!;
      if (id !== 0) index.set(id, this.#endAts[slot]!);
    }
    return (this.#endIndex = index);
  }

  /** The failure that stopped the runtime, while it has not run again. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Whether a stop began since the runtime last started running. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Restarts seen since the monitor opened. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The longest event-loop delay in milliseconds over the last `seconds` points. */
  loopDelay(seconds: number): number {
    const points = this.series.points().slice(-seconds);
    return points.reduce((max, point) => Math.max(max, point.loopDelay.max), 0);
  }

  readonly #handlers = {
    start: (trace: PayloadTrace) => {
      this.#counts(trace.flavour).started++;
    },
    error: (trace: PayloadTrace) => {
      if (this.#outcome(trace) === 'failed') this.#noteError(trace.id, trace.error);
    },
    asyncEnd: (trace: PayloadTrace) => {
      const now = performance.now();
      const ms = now - trace.startedAt;
      const counts = this.#counts(trace.flavour);
      counts.ended++;
      if (trace.kind === 'execute') {
        // Reservoir sampling keeps the percentiles fair when a second has more executes than samples.
        const seen = ++counts.executes;
        if (seen <= latencySamples) counts.latencies.push(ms);
        else {
          const slot = Math.floor(Math.random() * seen);
          if (slot < latencySamples) counts.latencies[slot] = ms;
        }
      }
      // Executes end by the thousand a second and show in the tree only briefly: their end time is not kept.
      else {
        // A ring, not a note: a note per run would be a map entry made and dropped per run.
        const slot = this.#endNext;
        this.#endIds[slot] = trace.id;
        this.#endAts[slot] = Math.round(performance.timeOrigin + now);
        this.#endNext = (slot + 1) % endsKept;
        this.#endIndex = undefined;
      }
      this.#options.onRun?.(trace.flavour, trace.kind, this.#outcome(trace), ms / 1000);
    },
  };

  // Node.js subscribes only the handlers given; @types/node asks for all five.
  readonly #subscribers = this.#handlers as unknown as TracingChannelSubscribers<object>;

  readonly #onRestart = (message: unknown): void => {
    const event = message as RestartEvent;
    this.#restarts++;
    if (event.reason !== undefined) this.#noteError(event.id, event.reason);
    this.#options.onRestart?.(event);
    this.#options.onChange?.();
  };

  readonly #onRuntime = (message: unknown): void => {
    const event = message as RuntimeEvent;
    if (event.state === 'running') {
      this.#stopping = false;
      this.#failure = undefined;
    } else {
      this.#stopping = true;
      if (event.state === 'stopped' && event.failure !== undefined) this.#failure = event.failure;
    }
    this.#options.onChange?.();
  };

  #outcome(trace: PayloadTrace): Outcome {
    if (!('error' in trace)) return 'done';
    const error = trace.error as { name?: unknown } | undefined;
    return isCancellation(error) || (trace.stopping && error?.name === 'AbortError') ? 'cancelled' : 'failed';
  }

  #counts(flavour: string): FlavourCounts {
    // Runs come in long stretches of one flavour: the last one's counts are kept at hand.
    if (flavour === this.#lastFlavour) return this.#lastCounts!;
    let counts = this.#flavours.get(flavour);
    if (!counts) {
      counts = { started: 0, ended: 0, latencies: [], executes: 0 };
      this.#flavours.set(flavour, counts);
    }
    this.#lastFlavour = flavour;
    this.#lastCounts = counts;
    return counts;
  }

  #note(id: number): PayloadNote {
    let note = this.#notes.get(id);
    if (note) return note;
    note = {};
    this.#notes.set(id, note);
    // A Map iterates in insertion order: the first key is the one noted longest ago.
    if (this.#notes.size > notesKept) this.#notes.delete(this.#notes.keys().next().value!);
    return note;
  }

  #noteError(id: number, error: unknown): void {
    this.#note(id).lastError = describeError(error);
  }

  #tick(): void {
    const flavours: Record<string, FlavourSecond> = {};
    for (const [flavour, counts] of this.#flavours) {
      const p50 = quantile(counts.latencies, 0.5);
      const p99 = quantile(counts.latencies, 0.99);
      flavours[flavour] = { started: counts.started, ended: counts.ended, ...(p50 === undefined ? {} : { p50, p99 }) };
      counts.started = 0;
      counts.ended = 0;
      counts.executes = 0;
      counts.latencies = [];
    }
    const pools = threadPools();
    const loop = this.#loop;
    // The histogram is in nanoseconds and holds whole intervals of its timer: the delay is what exceeds the resolution.
    const ms = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, Math.round(ns / 1e4 - loopResolution * 100) / 100) : 0);
    const point: SeriesPoint = {
      t: Math.round(Date.now() / 1000),
      flavours,
      busy: pools?.busy ?? 0,
      queued: pools?.queued ?? 0,
      loopDelay: { p99: ms(loop.count > 0 ? loop.percentile(99) : NaN), max: ms(loop.count > 0 ? loop.max : NaN) },
    };
    loop.reset();
    this.series.push(point);
    this.#options.onTick?.(point);
  }
}

/** An error as untrusted text: its name and message, whatever was thrown. */
export function describeError(error: unknown): ErrorNote {
  const at = Date.now();
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return { name: typeof name === 'string' ? name : 'Error', message: String(message), at };
  }
  return { name: typeof error, message: String(error), at };
}
