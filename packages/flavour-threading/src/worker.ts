/**
 * The entry of the threading flavour's worker threads. It waits for runs on its parent port
 * (it never blocks: between runs the thread's event loop is idle), runs each payload inside the
 * payload's cancel scope, and answers with its result or its error. The runner loads the built
 * file (dist/worker.js), so this must stay plain Node.js: no test tooling, nothing that needs a
 * loader.
 *
 * What a payload leaves behind is its own: every run is marked in the async context, so an
 * uncaught error from one of its timers or promises is reported as that run's, whenever it
 * happens; and a run is answered as clean (its thread fit for another payload) only when
 * nothing of it is left that could still fail here, unreferenced timers included.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { CancelScope } from '@cobald/kernel';
import { acceptRefusal, acceptRefusalKey } from './accept-refusal.js';
import { compileFunction, explainMissingVariable, sourceUrlOf } from './function-compiler.js';
import { explainModuleLoadError } from './module-load-error.js';
import {
  claimSlot,
  decodeRuns,
  encodeAnswer,
  maxAnswerDelay,
  maxAnswers,
  type CancelRun,
  type FromWorker,
  type PayloadSource,
  type RunDone,
  type RunMessage,
  type RunRequest,
  type WorkerStartData,
} from './protocol.js';
import { toThrown } from './thrown.js';

if (!parentPort) {
  throw new Error("dist/worker.js is the entry of @cobald/flavour-threading's worker threads; it does not run on its own");
}
const port = parentPort;
const { tag, claims, forwardChannels } = workerData as WorkerStartData;
const post = (message: FromWorker): void => port.postMessage(message);

// A module that calls `accept()` when it is imported (a service and its daemon in one file)
// would start its services again in here, and so on, thread after thread.
(globalThis as Record<symbol, unknown>)[acceptRefusalKey] = acceptRefusal;

/** The `require` function payloads see: it resolves like a script in the working directory. */
const payloadRequire = createRequire(join(process.cwd(), '[cobald-threading-payload].js'));

type Callable = (...args: unknown[]) => unknown;
const compiled = new Map<string, Callable>();
const maxCompiled = 256;

/** The run whose code is executing: set around each payload, inherited by all it starts. */
const owner = new AsyncLocalStorage<number>();
/** The scopes of the runs in progress, to cancel them by id. */
const scopes = new Map<number, CancelScope>();
/** The last run begun; an uncaught error outside any run's context is blamed on it. */
let lastRun = 0;
let running = 0;

/**
 * Set when an uncaught error (a microtask or timer of a payload that threw) is ending this
 * thread. A dying thread answers nothing more: the error, reported with the run it belongs to,
 * is that run's outcome.
 */
let dying = false;
process.on('uncaughtExceptionMonitor', (error) => {
  // A payload that handles uncaught errors itself keeps the thread alive.
  if (process.listenerCount('uncaughtException') > 0 || dying) return;
  dying = true;
  // The answers of the runs before it first: they ended.
  flush();
  post({ tag, type: 'crash', id: owner.getStore() ?? lastRun, error: toThrown(error) });
});

/**
 * Unreferenced timers started by a run: they keep nothing alive, so `getActiveResourcesInfo()`
 * does not list them, yet their callbacks can still throw here. A run that leaves one pending
 * leaves its thread unclean.
 */
const unrefTimers = new Set<NodeJS.Timeout>();
{
  const probe = setTimeout(() => {}, 1 << 30);
  const prototype = Object.getPrototypeOf(probe) as { unref(this: NodeJS.Timeout): NodeJS.Timeout };
  clearTimeout(probe);
  const unref = prototype.unref;
  prototype.unref = function (this: NodeJS.Timeout) {
    if (owner.getStore() !== undefined) unrefTimers.add(this);
    return unref.call(this);
  };
}

// Forward what payloads publish on the channels named in the option `forwardChannels`; a
// message that cannot be cloned to the main thread is not forwarded. Only these channels have
// a subscriber here, so payloads that check `hasSubscribers` publish nothing else.
for (const name of forwardChannels) {
  subscribe(name, (message) => {
    try {
      post({ tag, type: 'diagnostic', channel: name, message });
    } catch {
      // Not cloneable (a function, a handle): dropped.
    }
  });
}

/** Runs the main thread asked to cancel before they began (a batch's run, claimed meanwhile). */
const cancelledEarly = new Set<number>();

/** A payload as this thread keeps it: what the main thread sent, and its function once compiled. */
interface PayloadEntry {
  readonly payload: PayloadSource;
  fn: Callable | undefined;
}
/** The payloads the main thread defined for this thread, by number. */
const defined = new Map<number, PayloadEntry>();

/** Runs sent and not begun, in order, from `next` on. They are begun one at a time, by {@link drain}. */
let queue: (RunRequest | undefined)[] = [];
let next = 0;
let draining = false;
/** Set once a run left the thread unclean: it begins nothing more, and is about to be terminated. */
let stopped = false;

port.on('message', (message: unknown) => {
  // Payloads may use the port as well; only the pool's messages carry its tag.
  const { tag: from, type } = (message ?? {}) as { tag?: unknown; type?: unknown };
  if (from !== tag) return;
  if (type === 'runs') {
    if (stopped || dying) return;
    for (const request of decodeRuns((message as RunMessage).runs)) queue.push(request);
    if (!draining) void drain();
  } else if (type === 'cancel') cancel((message as CancelRun).id);
});

function cancel(id: number): void {
  const scope = scopes.get(id);
  if (scope) scope.cancel(new DOMException('the runtime is stopping this payload', 'AbortError'));
  else cancelledEarly.add(id);
}

/** Run what is queued, one after another; none after one that left the thread unclean or is killing it. */
async function drain(): Promise<void> {
  draining = true;
  while (next < queue.length) {
    const request = queue[next]!;
    queue[next++] = undefined;
    // Answers wait for the next run only when it is one of the payload that ran last and was
    // quick; before any other run they go, since it may hold the thread for long.
    if (outbox.length > 0 && !(request.payload === quickPayload && performance.now() - outboxSince < maxAnswerDelay)) flush();
    if (!(await run(request))) {
      stopped = true;
      break;
    }
  }
  queue = [];
  next = 0;
  draining = false;
  flush();
}

/**
 * Answers not sent yet, with the names of their payloads (to explain one that cannot be sent),
 * and since when the oldest waits. A timer sends them should a run take long without blocking.
 */
let outbox: { readonly answer: RunDone; readonly name: string }[] = [];
/** The number of the payload that ran last, if it took less than {@link quickRun} ms. */
let quickPayload: number | undefined;
const quickRun = 0.2;
let outboxSince = 0;
const flushTimer = setTimeout(() => flush(), maxAnswerDelay).unref();

function answer(done: RunDone, name: string): void {
  if (outbox.length === 0) {
    outboxSince = performance.now();
    flushTimer.refresh();
  }
  outbox.push({ answer: done, name });
  // Nothing more to run right now, or enough gathered: send.
  if (next >= queue.length || outbox.length >= maxAnswers) flush();
}

function flush(): void {
  if (outbox.length === 0) return;
  const sending = outbox;
  outbox = [];
  try {
    const answers: unknown[] = [];
    for (const { answer } of sending) encodeAnswer(answers, answer);
    post({ tag, type: 'answers', answers });
  } catch {
    // One of them cannot be cloned: send them one by one, and that one as its error.
    for (const { answer, name } of sending) {
      try {
        const one: unknown[] = [];
        encodeAnswer(one, answer);
        post({ tag, type: 'answers', answers: one });
      } catch (error) {
        const unsendable = new TypeError(
          `the result of threading payload '${name}' cannot be sent back to the main thread ` +
            `(${error instanceof Error ? error.message : String(error)}): results travel by structured clone, ` +
            `so return plain data, not functions or objects bound to the worker`,
        );
        const { id, clean, cancelled } = answer;
        const one: unknown[] = [];
        encodeAnswer(one, { id, ok: false, error: toThrown(unsendable), clean, cancelled });
        post({ tag, type: 'answers', answers: one });
      }
    }
  }
}

/** What is active in this thread when it runs nothing; more after a run means it left something behind. */
const baseline = resourceCounts();
post({ tag, type: 'ready' });

/**
 * Run one payload and answer; resolves whether the thread is still clean (fit for the next
 * run). A run the main thread took back before it began (its claim slot revoked) is skipped.
 */
async function run(request: RunRequest): Promise<boolean> {
  if (dying) return false;
  // Kept even for a run taken back: later runs may name its payload.
  const entry = entryOf(request);
  if (!claimSlot(claims, request.id)) return true;
  const began = performance.now();
  running++;
  lastRun = request.id;
  const scope = new CancelScope();
  scopes.set(request.id, scope);
  if (cancelledEarly.size > 0 && cancelledEarly.delete(request.id)) cancel(request.id);
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await owner.run(request.id, runInScope, scope, entry, request.args) };
  } catch (error) {
    outcome = { ok: false, error: explain(error, entry.payload) };
  }
  scopes.delete(request.id);
  quickPayload = typeof request.payload === 'number' && performance.now() - began < quickRun ? request.payload : undefined;
  // A promise the payload left rejected without a handler is reported once this turn of the
  // event loop is over: wait for that, so that it counts as this run's failure.
  await new Promise(setImmediate);
  running--;
  if (dying) return false;
  const clean = running === 0 && isClean();
  const cancelled = scope.cancelled;
  answer(
    outcome.ok
      ? { id: request.id, ok: true, value: outcome.value, clean, cancelled }
      : { id: request.id, ok: false, error: toThrown(outcome.error), clean, cancelled },
    entry.payload.name,
  );
  return clean;
}

/** The payload of `request`: sent with it (and kept, if it is to be), or defined by an earlier run. */
function entryOf(request: RunRequest): PayloadEntry {
  const { payload } = request;
  if (typeof payload === 'number') return defined.get(payload)!;
  const entry: PayloadEntry = { payload, fn: undefined };
  if (request.define !== undefined) defined.set(request.define, entry);
  return entry;
}

function runInScope(scope: CancelScope, entry: PayloadEntry, args: readonly unknown[]): Promise<unknown> {
  return scope.run(invoke, [entry, args]);
}

function explain(error: unknown, payload: PayloadSource): unknown {
  if (payload.kind === 'function') return explainMissingVariable(error, payload.name, payload.source);
  return explainModuleLoadError(error, payload.url);
}

async function invoke(entry: PayloadEntry, args: readonly unknown[]): Promise<unknown> {
  const { payload } = entry;
  switch (payload.kind) {
    case 'function': {
      // Called as a plain function: stack traces show 'at name', not 'at Object.name [as fn]'.
      const fn = (entry.fn ??= compile(payload.source, payload.name));
      return fn(...args);
    }
    case 'module': {
      const fn = exportOf(await import(payload.url), payload.url, payload.export);
      if (typeof fn !== 'function') {
        throw new TypeError(`export '${payload.export}' of module '${payload.url}' is not a function but ${describe(fn)}`);
      }
      return (fn as Callable)(...args);
    }
    case 'service': {
      const Class = exportOf(await import(payload.url), payload.url, payload.export);
      const prototype = typeof Class === 'function' ? (Class as { prototype?: unknown }).prototype : undefined;
      if (typeof prototype !== 'object' || prototype === null || typeof (prototype as { run?: unknown }).run !== 'function') {
        throw new TypeError(
          `service '${payload.name}': export '${payload.export}' of module '${payload.url}' is not a class ` +
            `with a run() method but ${describe(Class)}; set 'export' to the name the class is exported under`,
        );
      }
      const instance = Object.assign(Object.create(prototype) as { run(): unknown }, payload.state);
      return instance.run();
    }
  }
}

function compile(source: string, name: string): Callable {
  const key = `${sourceUrlOf(name)}\n${source}`;
  let fn = compiled.get(key);
  if (!fn) {
    fn = compileFunction(source, name, payloadRequire);
    if (compiled.size >= maxCompiled) compiled.clear();
    compiled.set(key, fn);
  }
  return fn;
}

function exportOf(namespace: Record<string, unknown>, url: string, name: string): unknown {
  if (!(name in namespace)) {
    const names = Object.keys(namespace);
    throw new TypeError(
      `module '${url}' has no export '${name}'` + (names.length ? ` (it exports: ${names.join(', ')})` : ' (it exports nothing)'),
    );
  }
  return namespace[name];
}

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

function isClean(): boolean {
  for (const timer of unrefTimers) {
    // Fired, cleared, or referenced again (then it is counted below).
    if ((timer as unknown as { _destroyed?: boolean })._destroyed === true || timer.hasRef()) unrefTimers.delete(timer);
    else return false;
  }
  for (const [type, count] of resourceCounts()) if (count > (baseline.get(type) ?? 0)) return false;
  return true;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'function' ? 'a function' : `a ${typeof value}`;
}
