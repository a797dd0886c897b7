/**
 * Liveness and readiness, as `/healthz` and `/readyz` answer them (and systemd's watchdog and
 * Kubernetes' probes use them):
 * - healthy while the runtime starts or runs, no stop began, it did not fail, and its event
 *   loop answers (no delay beyond the limit in the last seconds);
 * - ready once it accepts work and every payload and service has started, until a stop begins.
 */
import type { NodeLike, TreeLike } from './tree-view.js';

/** The answer of `/healthz`. */
export interface Health {
  readonly ok: boolean;
  /** `starting`, `running`, `delayed` (the event loop lags), `stopping`, `failed` or `idle` (not accepting). */
  readonly status: 'starting' | 'running' | 'delayed' | 'stopping' | 'failed' | 'idle';
}

/** The answer of `/readyz`. */
export interface Readiness {
  readonly ok: boolean;
  /** `ready`, `starting` (also while payloads wait to start), `stopping` or `idle`. */
  readonly status: 'ready' | 'starting' | 'stopping' | 'idle';
}

/** What health and readiness are read from. */
export interface HealthSources {
  tree(): TreeLike;
  /** The runner's `running`: it accepts work and no stop was asked for. */
  running(): boolean;
  /** Whether a stop began (the `cobald:runtime` channel said so). */
  stopping(): boolean;
  /** The failure that stopped the runtime, if it did. */
  failure(): unknown;
  /** The longest event-loop delay of the last seconds, in milliseconds. */
  loopDelay(): number;
  /** The longest event-loop delay that is still healthy, in milliseconds. */
  readonly loopDelayLimit: number;
}

export function health(sources: HealthSources): Health {
  if (sources.failure() !== undefined) return { ok: false, status: 'failed' };
  const { state } = sources.tree();
  if (state === 'idle') return { ok: false, status: 'idle' };
  if (state === 'stopping' || sources.stopping() || (state === 'running' && !sources.running())) return { ok: false, status: 'stopping' };
  if (sources.loopDelay() > sources.loopDelayLimit) return { ok: false, status: 'delayed' };
  return { ok: true, status: state === 'starting' ? 'starting' : 'running' };
}

export function readiness(sources: HealthSources): Readiness {
  const tree = sources.tree();
  if (tree.state === 'idle') return { ok: false, status: 'idle' };
  if (tree.state === 'stopping' || sources.stopping() || (tree.state === 'running' && !sources.running()))
    return { ok: false, status: 'stopping' };
  if (tree.state !== 'running' || hasQueued(tree)) return { ok: false, status: 'starting' };
  return { ok: true, status: 'ready' };
}

function hasQueued(tree: TreeLike): boolean {
  const queued = (nodes: readonly NodeLike[] | undefined): boolean =>
    nodes?.some((node) => node.state === 'queued' || queued(node.payloads) || queued(node.children)) ?? false;
  return queued(tree.flavours) || queued(tree.children);
}
