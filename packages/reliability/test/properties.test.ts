/**
 * Property-based tests: random programs of adopt / execute / shutdown steps (a shutdown signal
 * is modelled as shutdown(), which is what the signal handler calls; real signals are in
 * lifecycle-races.test.ts), over the flavours, with payloads that return, return a value,
 * throw, hang until stopped, or adopt more. Invariants, for every program:
 * - every adopted payload ran to completion, was stopped by the shutdown (seen in its abort
 *   handler or finally; a thread is terminated), never started because the runner stopped
 *   first, or is the one the failure names; adopt() refused it with RunnerStopping otherwise;
 * - every execute() settles, with its value, its error, or a cancellation/refusal;
 * - accept() settles; it rejects only with a failure of an adopted payload that failed, and,
 *   in a program without shutdown steps, exactly when some adopted payload failed;
 * - nothing of the runtime stays active.
 * COBALD_PROPERTY_RUNS=5000 runs a soak with that many cases per property (a fifth of that
 * with threading).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OrphanedReturn, PayloadFailure, RunnerStopping, currentSignal, isCancellation, type ServiceRunner } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { suspend } from 'effection';
import { recordingRunner, runtimeResources, settledResources, sleep } from './support.js';

const soak = Number(process.env['COBALD_PROPERTY_RUNS']) || 0;
const mainThreadRuns = soak || 300;
const threadingRuns = soak ? Math.max(1, Math.floor(soak / 5)) : 100;

type FlavourName = 'asyncio' | 'trio' | 'threading';
type Behaviour = 'returns' | 'returnsValue' | 'throws' | 'hangs' | 'adoptsMore';
type Step =
  | { readonly kind: 'adopt'; readonly flavour: FlavourName; readonly behaviour: Behaviour; readonly children: readonly FlavourName[] }
  | { readonly kind: 'execute'; readonly flavour: FlavourName; readonly behaviour: 'returns' | 'throws' | 'hangs' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'tick' };
interface Program {
  readonly steps: readonly Step[];
  /** How many steps happen before accept(). */
  readonly acceptAt: number;
}

const flavours = { asyncio, trio, threading };
/** Threading payloads report where they are in a shared array: 1 started, 2 completed, 3 about to fail. */
const slots = 4096;

function program(names: readonly FlavourName[]): fc.Arbitrary<Program> {
  const flavour = fc.constantFrom(...names);
  const mainThread = names.filter((name) => name !== 'threading');
  const adopt = fc
    .record({
      kind: fc.constant('adopt' as const),
      flavour: mainThread.length ? flavour : fc.constant('threading' as const),
      behaviour: fc.constantFrom<Behaviour>('returns', 'returns', 'returnsValue', 'throws', 'hangs', 'hangs', 'adoptsMore'),
      children: fc.array(flavour, { maxLength: 3 }),
    })
    .map((step) => (step.behaviour === 'adoptsMore' && step.flavour === 'threading' ? { ...step, behaviour: 'returns' as const } : step));
  const execute = fc.record({
    kind: fc.constant('execute' as const),
    flavour,
    behaviour: fc.constantFrom('returns' as const, 'throws' as const, 'hangs' as const),
  });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: adopt },
    { weight: 3, arbitrary: execute },
    { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'tick' as const }) },
  );
  return fc
    .array(step, { minLength: 1, maxLength: 12 })
    .chain((steps) => fc.record({ steps: fc.constant(steps), acceptAt: fc.integer({ min: 0, max: steps.length }) }));
}

interface Adopted {
  readonly label: string;
  readonly flavour: FlavourName;
  readonly behaviour: Behaviour;
  /** Set from the payload: started, completed, stopped, failing (about to throw or return a value). */
  readonly seen: Set<string>;
  readonly slot: number;
}

/** Run `program` and check the invariants; resolves true or throws what was violated. */
async function check(prog: Program): Promise<boolean> {
  const { runner } = recordingRunner({ gracePeriod: 1000, flavours: { threading: { maxWorkers: 2 } } });
  const shared = new Int32Array(new SharedArrayBuffer(4 * slots));
  const adopted: Adopted[] = [];
  const executes: { step: Step & { kind: 'execute' }; outcome: Promise<{ ok: boolean; value: unknown }> }[] = [];
  let shutdownSteps = 0;
  let accepting: Promise<{ ok: boolean; error?: unknown }> | undefined;
  let settled = false;
  let next = 0;

  const adopt = (flavour: FlavourName, behaviour: Behaviour, children: readonly FlavourName[]): void => {
    const label = `p${next}`;
    const entry: Adopted = { label, flavour, behaviour, seen: new Set(), slot: next++ };
    const payload = makePayload(runner, entry, children, shared, adopt);
    try {
      runner.adopt(payload.payload as never, { flavour: flavours[flavour], args: payload.args, name: label });
      adopted.push(entry);
    } catch (error) {
      // Refused: it must say so.
      expect(error).toBeInstanceOf(RunnerStopping);
    }
  };

  for (const [index, step] of prog.steps.entries()) {
    if (index === prog.acceptAt) {
      accepting = runner.accept().then(
        () => ({ ok: true }),
        (error: unknown) => ({ ok: false, error }),
      );
      void accepting.then(() => (settled = true));
    }
    if (step.kind === 'adopt') adopt(step.flavour, step.behaviour, step.children);
    else if (step.kind === 'execute') {
      const payload = makeExecutePayload(step.flavour, step.behaviour);
      const outcome = runner.execute(payload.payload as never, { flavour: flavours[step.flavour], args: payload.args }).then(
        (value: unknown) => ({ ok: true, value }),
        (value: unknown) => ({ ok: false, value }),
      );
      executes.push({ step, outcome });
    } else if (step.kind === 'shutdown') {
      shutdownSteps++;
      void runner.shutdown();
    } else await new Promise((resolve) => setImmediate(resolve));
    await Promise.resolve();
  }
  accepting ??= runner.accept().then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, error }),
  );
  void accepting.then(() => (settled = true));

  // Without shutdown steps: let every payload that ends by itself end before stopping.
  if (shutdownSteps === 0) {
    const ends = (entry: Adopted) => entry.behaviour !== 'hangs';
    const done = (entry: Adopted) => finished(entry, shared) || entry.seen.has('failing') || shared[entry.slot] === 3;
    const deadline = Date.now() + 20_000;
    while (!settled && Date.now() < deadline && !adopted.filter(ends).every(done)) await sleep(2);
    // Their outcomes reach the supervisor a moment after the payload ends.
    while (
      !settled &&
      Date.now() < deadline &&
      runner.tree().flavours.some((f) => f.payloads.some((p) => p.kind === 'adopt' && !isHanging(adopted, p.name)))
    )
      await sleep(2);
  }
  void runner.shutdown();
  const result = await bounded(accepting, 20_000, 'accept() did not settle');

  // Every execute settles, with what its payload did or a cancellation or refusal.
  for (const { step, outcome } of executes) {
    const { ok, value } = await bounded(outcome, 20_000, 'an execute() did not settle');
    const stopped = !ok && (isCancellation(value) || value instanceof RunnerStopping || (value as Error)?.name === 'RunnerNotAccepting');
    if (step.behaviour === 'returns') expect(ok ? value : stopped).toBe(ok ? 'value' : true);
    else if (step.behaviour === 'throws') expect(stopped || (!ok && (value as Error).message === 'executed and failed')).toBe(true);
    else expect(stopped).toBe(true);
  }

  // Every adopted payload completed, was stopped, never started, or is the reported failure.
  const failure = result.ok ? undefined : (result.error as PayloadFailure);
  if (failure) expect(failure).toBeInstanceOf(PayloadFailure);
  for (const entry of adopted) {
    const state = shared[entry.slot]!;
    const named = failure?.payload.name === entry.label;
    const started = entry.seen.has('started') || state >= 1;
    const failing = entry.seen.has('failing') || state === 3;
    if (named) {
      expect(failing).toBe(true);
      if (entry.behaviour === 'returnsValue') expect(failure!.cause).toBeInstanceOf(OrphanedReturn);
      else expect((failure!.cause as Error).message).toBe(`${entry.label} failed`);
    } else if (entry.behaviour === 'returns' || entry.behaviour === 'adoptsMore') {
      expect({ label: entry.label, ok: finished(entry, shared) || !started || stoppedWhileRunning(entry, result) }).toEqual({
        label: entry.label,
        ok: true,
      });
    } else if (entry.behaviour === 'hangs') {
      // Stopped: seen in its abort handler or finally (a thread is terminated), or never started.
      if (entry.flavour !== 'threading' && started)
        expect({ label: entry.label, seen: entry.seen.has('stopped') }).toEqual({ label: entry.label, seen: true });
    } else if (failing && entry.flavour !== 'threading') {
      // A failure in the main thread is always seen: it is the reported one or a later one.
      expect(failure).toBeDefined();
    }
  }
  // Without shutdown steps, accept() rejects exactly when an adopted payload failed.
  if (shutdownSteps === 0) {
    const anyFailed = adopted.some((entry) => entry.seen.has('failing') || shared[entry.slot] === 3);
    expect({ rejected: !result.ok, anyFailed }).toEqual({ rejected: anyFailed, anyFailed });
  }
  return true;
}

function isHanging(adopted: readonly Adopted[], name: string): boolean {
  return adopted.find((entry) => entry.label === name)?.behaviour === 'hangs';
}

function finished(entry: Adopted, shared: Int32Array): boolean {
  return entry.seen.has('completed') || shared[entry.slot] === 2;
}

/** A payload that ends by itself may be stopped before it ends when the runner stops for a failure. */
function stoppedWhileRunning(entry: Adopted, result: { ok: boolean }): boolean {
  return entry.seen.has('stopped') || entry.flavour === 'threading' || !result.ok;
}

function makePayload(
  runner: ServiceRunner,
  entry: Adopted,
  children: readonly FlavourName[],
  shared: Int32Array,
  adopt: (flavour: FlavourName, behaviour: Behaviour, children: readonly FlavourName[]) => void,
): { payload: unknown; args: unknown[] } {
  const { behaviour, label, seen } = entry;
  void runner;
  if (entry.flavour === 'threading') {
    return {
      payload: (state: Int32Array, slot: number, what: string, name: string) => {
        Atomics.store(state, slot, 1);
        if (what === 'hangs') return new Promise(() => {});
        if (what === 'returnsValue' || what === 'throws') {
          Atomics.store(state, slot, 3);
          if (what === 'throws') throw new Error(`${name} failed`);
          return 42;
        }
        Atomics.store(state, slot, 2);
        return undefined;
      },
      args: [shared, entry.slot, behaviour, label],
    };
  }
  const body = (): unknown => {
    seen.add('started');
    if (behaviour === 'returnsValue' || behaviour === 'throws') {
      seen.add('failing');
      if (behaviour === 'throws') throw new Error(`${label} failed`);
      return 42;
    }
    if (behaviour === 'adoptsMore') for (const child of children) adopt(child, 'returns', []);
    seen.add('completed');
    return undefined;
  };
  if (entry.flavour === 'asyncio') {
    return {
      payload: async () => {
        if (behaviour !== 'hangs') {
          await Promise.resolve();
          return body();
        }
        seen.add('started');
        const signal = currentSignal();
        await new Promise((_, reject) =>
          signal.addEventListener(
            'abort',
            () => {
              seen.add('stopped');
              reject(signal.reason);
            },
            { once: true },
          ),
        );
      },
      args: [],
    };
  }
  return {
    payload: function* () {
      if (behaviour !== 'hangs') return body();
      seen.add('started');
      try {
        yield* suspend();
      } finally {
        seen.add('stopped');
      }
    },
    args: [],
  };
}

function makeExecutePayload(flavour: FlavourName, behaviour: 'returns' | 'throws' | 'hangs'): { payload: unknown; args: unknown[] } {
  if (flavour === 'threading') {
    return {
      payload: (what: string) => {
        if (what === 'hangs') return new Promise(() => {});
        if (what === 'throws') throw new Error('executed and failed');
        return 'value';
      },
      args: [behaviour],
    };
  }
  if (flavour === 'asyncio') {
    return {
      payload: async (what: string) => {
        if (what === 'hangs') {
          const signal = currentSignal();
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        }
        if (what === 'throws') throw new Error('executed and failed');
        return 'value';
      },
      args: [behaviour],
    };
  }
  return {
    payload: function* (what: string) {
      if (what === 'hangs') yield* suspend();
      if (what === 'throws') throw new Error('executed and failed');
      return 'value';
    },
    args: [behaviour],
  };
}

async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms: a hang`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let before: Record<string, number>;
beforeEach(() => {
  before = runtimeResources();
});
afterEach(async () => {
  expect(await settledResources(before)).toEqual({});
});

describe('random programs of adopt, execute and shutdown', () => {
  it(`keep the invariants with asyncio and trio (${mainThreadRuns} programs)`, async () => {
    await fc.assert(
      fc.asyncProperty(program(['asyncio', 'trio']), async (prog) => {
        await check(prog);
        expect(await settledResources(before)).toEqual({});
      }),
      { numRuns: mainThreadRuns },
    );
  }, 600_000);

  it(`keep the invariants with all three flavours, threading included (${threadingRuns} programs)`, async () => {
    await fc.assert(
      fc.asyncProperty(program(['asyncio', 'trio', 'threading']), async (prog) => {
        await check(prog);
        expect(await settledResources(before)).toEqual({});
      }),
      { numRuns: threadingRuns },
    );
  }, 600_000);
});
