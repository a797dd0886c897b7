/**
 * The monitor's time series: one point per second for the last 15 minutes, kept in a ring, as
 * the page's charts show them. Plain data, sent to the page as JSON.
 */

/** What ran on one flavour during one second. */
export interface FlavourSecond {
  /** Payload runs (adopt, execute, service) that began. */
  readonly started: number;
  /** Payload runs that ended, however they ended. */
  readonly ended: number;
  /** The median `execute()` latency in milliseconds, if any execute of this flavour ended. */
  readonly p50?: number;
  /** The 99th percentile `execute()` latency in milliseconds. */
  readonly p99?: number;
}

/** One second of the runtime. */
export interface SeriesPoint {
  /** The end of the second, in seconds since the epoch. */
  readonly t: number;
  readonly flavours: Readonly<Record<string, FlavourSecond>>;
  /** Threads of the threading flavour running a payload, summed over its pools. */
  readonly busy: number;
  /** Payloads waiting for a thread. */
  readonly queued: number;
  /** Event-loop delay in milliseconds over the second: the 99th percentile and the longest. */
  readonly loopDelay: { readonly p99: number; readonly max: number };
}

/** Seconds kept: 15 minutes. */
export const seriesLength = 15 * 60;

/** A fixed-size ring of the newest points, oldest first when read. */
export class Series {
  readonly #points: (SeriesPoint | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity = seriesLength) {
    this.#points = new Array<SeriesPoint | undefined>(capacity);
  }

  push(point: SeriesPoint): void {
    this.#points[this.#next] = point;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The newest point, if any. */
  latest(): SeriesPoint | undefined {
    return this.#size === 0 ? undefined : this.#points[(this.#next - 1 + this.capacity) % this.capacity];
  }

  /** Every point kept, oldest first. */
  points(): SeriesPoint[] {
    const first = (this.#next - this.#size + this.capacity) % this.capacity;
    return Array.from({ length: this.#size }, (_, i) => this.#points[(first + i) % this.capacity]!);
  }
}

/**
 * The `q` quantile (0..1) of `values`, which it sorts in place: the nearest-rank method, so the
 * result is always one of the values.
 */
export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const rank = Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1));
  return values[rank];
}
