/**
 * The supervision of one `accept()`: the nodes of the payloads that run, what each outcome
 * means, and escalation. An adopted payload has no parent, so a value or a failure of one is
 * escalated: the first becomes the {@link PayloadFailure} that `accept()` rejects with, and
 * the runner is told to stop. Later ones are logged.
 */
import { OrphanedReturn, PayloadFailure, isCancellation, type PayloadInfo } from './errors.js';
import type { RunContext, RunKind } from './flavour.js';
import type { Logger } from './logger.js';

/** Where a payload is in its life: queued until its runner accepts, abandoned if it outlived shutdown. */
export type NodeState = 'queued' | 'running' | 'stopping' | 'abandoned';

/** A payload under supervision. */
export interface PayloadNode extends RunContext {
  state: NodeState;
  /** When it started, in milliseconds since the epoch. */
  readonly startedAt: number;
}

let lastId = 0;

/** A fresh process-wide payload id. */
export const nextPayloadId = (): number => ++lastId;

export class Supervisor {
  readonly #live = new Map<number, PayloadNode>();
  readonly #logger: Logger;
  readonly #escalate: (failure: PayloadFailure) => void;
  #failure: PayloadFailure | undefined;
  #drained: (() => void) | undefined;

  constructor(logger: Logger, escalate: (failure: PayloadFailure) => void) {
    this.#logger = logger;
    this.#escalate = escalate;
  }

  /** The first failure of an adopted payload, if any. */
  get failure(): PayloadFailure | undefined {
    return this.#failure;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Put a payload under supervision. */
  add(name: string, flavour: string, kind: RunKind, id = nextPayloadId()): PayloadNode {
    const node: PayloadNode = { id, name, flavour, kind, state: 'running', startedAt: Date.now() };
    this.#live.set(node.id, node);
    return node;
  }

  /** Watch an adopted payload's outcome: `undefined` is done, anything else escalates. */
  watch(node: PayloadNode, outcome: Promise<unknown>): void {
    outcome.then(
      (value) => {
        if (!this.remove(node)) return;
        if (value !== undefined) this.fail(node, new OrphanedReturn(info(node), value));
      },
      (error: unknown) => {
        if (!this.remove(node)) return;
        if (!isCancellation(error)) this.fail(node, error);
      },
    );
  }

  /** Take a node out of supervision; false if it was no longer there (abandoned). */
  remove(node: PayloadNode): boolean {
    if (!this.#live.delete(node.id)) return false;
    if (this.#live.size === 0) this.#drained?.();
    return true;
  }

  /** Record a failure: the first escalates, later ones are logged. */
  fail(node: PayloadInfo, error: unknown): void {
    const failure = new PayloadFailure(info(node), error);
    if (this.#failure) {
      this.#logger.error({ err: failure, payload: info(node) }, `${failure.message} (while stopping after an earlier failure)`);
      return;
    }
    this.#failure = failure;
    this.#escalate(failure);
  }

  /** Mark every node as stopping. */
  stopping(): void {
    for (const node of this.#live.values()) node.state = 'stopping';
  }

  /** Resolves once no payload is under supervision. */
  whenEmpty(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Give up on every payload still running: they are forgotten and logged. */
  abandonAll(): PayloadNode[] {
    const abandoned = [...this.#live.values()];
    this.#live.clear();
    for (const node of abandoned) {
      node.state = 'abandoned';
      this.#logger.warn(
        { payload: info(node) },
        `payload '${node.name}' (${node.flavour}, #${node.id}) did not stop within the grace period and was abandoned`,
      );
    }
    return abandoned;
  }

  /** A snapshot of the nodes under supervision. */
  nodes(): PayloadNode[] {
    return [...this.#live.values()].map((node) => ({ ...node }));
  }
}

function info(node: PayloadInfo): PayloadInfo {
  return { id: node.id, name: node.name, flavour: node.flavour };
}
