/**
 * `cobald_payload_duration_seconds`: a Prometheus histogram counted by the monitor itself and
 * handed to prom-client's registry as a metric, because it is observed once per payload run:
 * prom-client's `Histogram.observe()` checks and hashes the labels on every call, which costs
 * more than the rest of the monitor's work per run. Here an observation is a map lookup, a
 * short scan of the bounds and three additions; the exposition is prom-client's.
 */
import type { Metric, Registry } from 'prom-client';
import type { Outcome } from './collector.js';

interface Series {
  readonly labels: { readonly flavour: string; readonly kind: string; readonly outcome: Outcome };
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class DurationHistogram {
  readonly name = 'cobald_payload_duration_seconds';
  readonly help = 'How long payload runs took until they ended, by flavour, kind (adopt or execute) and outcome (done, failed, cancelled)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series: Series[] = [];
  readonly #byLabels = new Map<string, Map<string, Map<Outcome, Series>>>();
  /** The series observed last: runs come in long stretches of the same labels. */
  #last: Series | undefined;

  constructor(bounds: readonly number[], registry: Registry) {
    this.#bounds = bounds;
    registry.registerMetric(this as unknown as Metric);
  }

  observe(flavour: string, kind: string, outcome: Outcome, seconds: number): void {
    let series = this.#last;
    if (series === undefined || series.labels.flavour !== flavour || series.labels.kind !== kind || series.labels.outcome !== outcome) {
      series = this.#last = this.#seriesOf(flavour, kind, outcome);
    }
    const bounds = this.#bounds;
    let slot = 0;
    while (slot < bounds.length && seconds > bounds[slot]!) slot++;
    series.counts[slot]!++;
    series.sum += seconds;
    series.count++;
  }

  #seriesOf(flavour: string, kind: string, outcome: Outcome): Series {
    // Looked up by nested maps: a joined string key would be built on every run.
    let byKind = this.#byLabels.get(flavour);
    if (!byKind) this.#byLabels.set(flavour, (byKind = new Map()));
    let byOutcome = byKind.get(kind);
    if (!byOutcome) byKind.set(kind, (byOutcome = new Map()));
    let series = byOutcome.get(outcome);
    if (!series) {
      series = { labels: { flavour, kind, outcome }, counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
      byOutcome.set(outcome, series);
      this.#series.push(series);
    }
    return series;
  }

  /** What prom-client's registry asks of a metric: its values, as its own histogram gives them. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: object[] }> {
    const values: object[] = [];
    for (const { labels, counts, sum, count } of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.length = 0;
    this.#byLabels.clear();
    this.#last = undefined;
  }
}
