/**
 * The entry of the threading flavour's worker threads. It waits for runs on its parent port
 * (it never blocks: between runs the thread's event loop is idle), runs each payload, and
 * answers with its result or its error. The runner loads the built file (dist/worker.js), so
 * this must stay plain Node.js: no test tooling, nothing that needs a loader.
 */
import { subscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { compileFunction, explainMissingVariable, sourceUrlOf } from './function-compiler.js';
import type { PayloadSource, RunDone, RunRequest, ToWorker, WorkerDiagnostic, WorkerStartData } from './protocol.js';
import { toThrown } from './thrown.js';

if (!parentPort) {
  throw new Error("dist/worker.js is the entry of @cobald/flavour-threading's worker threads; it does not run on its own");
}
const port = parentPort;

/** The `require` function payloads see: it resolves like a script in the working directory. */
const payloadRequire = createRequire(join(process.cwd(), '[cobald-threading-payload].js'));

type Callable = (...args: unknown[]) => unknown;
const compiled = new Map<string, Callable>();
const maxCompiled = 256;

let running = 0;
/**
 * Set when an uncaught error (a microtask or timer of a payload that threw) is ending this
 * thread. The thread still runs the microtasks already queued, so without this it could answer
 * a run as done and clean just before it dies, and the next payload sent to it would be blamed
 * for the crash. A dying thread answers nothing: its payload fails with the crash.
 */
let dying = false;
process.on('uncaughtExceptionMonitor', () => {
  // A payload that handles uncaught errors itself keeps the thread alive.
  if (process.listenerCount('uncaughtException') === 0) dying = true;
});

// Forward what payloads publish on the channels named in the option `forwardChannels`; a
// message that cannot be cloned to the main thread is not forwarded. Only these channels have
// a subscriber here, so payloads that check `hasSubscribers` publish nothing else.
for (const name of (workerData as WorkerStartData | undefined)?.forwardChannels ?? []) {
  subscribe(name, (message) => {
    try {
      port.postMessage({ type: 'diagnostic', channel: name, message } satisfies WorkerDiagnostic);
    } catch {
      // Not cloneable (a function, a handle): dropped.
    }
  });
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') void run(message);
  else if (message.type === 'batch') void runAll(message.runs);
});

/** A batch: one run after another; none after one that left the thread unclean or is killing it. */
async function runAll(runs: readonly RunRequest[]): Promise<void> {
  for (const request of runs) if (!(await run(request))) return;
}
/** What is active in this thread when it runs nothing; more after a run means it left something behind. */
const baseline = resourceCounts();
port.postMessage({ type: 'ready' });

/** Run one payload and answer; resolves whether the thread is still clean (fit for the next run). */
async function run(request: RunRequest): Promise<boolean> {
  running++;
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await invoke(request.payload, request.args) };
  } catch (error) {
    const { payload } = request;
    outcome = { ok: false, error: payload.kind === 'function' ? explainMissingVariable(error, payload.name, payload.source) : error };
  }
  running--;
  if (dying) return false;
  const clean = running === 0 && isClean();
  const done: RunDone = outcome.ok
    ? { type: 'done', id: request.id, ok: true, value: outcome.value, clean }
    : { type: 'done', id: request.id, ok: false, error: toThrown(outcome.error), clean };
  try {
    port.postMessage(done);
  } catch (error) {
    const unsendable = new TypeError(
      `the result of threading payload '${request.payload.name}' cannot be sent back to the main thread ` +
        `(${error instanceof Error ? error.message : String(error)}): results travel by structured clone, ` +
        `so return plain data, not functions or objects bound to the worker`,
    );
    port.postMessage({ type: 'done', id: request.id, ok: false, error: toThrown(unsendable), clean } satisfies RunDone);
  }
  return clean;
}

async function invoke(payload: PayloadSource, args: readonly unknown[]): Promise<unknown> {
  switch (payload.kind) {
    case 'function':
      return compile(payload.source, payload.name)(...args);
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
  for (const [type, count] of resourceCounts()) if (count > (baseline.get(type) ?? 0)) return false;
  return true;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'function' ? 'a function' : `a ${typeof value}`;
}
