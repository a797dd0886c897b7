/**
 * The messages between the main thread and a worker thread of the threading flavour, and the
 * encoding of thrown values that travels in them ({@link toThrown}, {@link fromThrown}). Every
 * run carries an id and every answer names the run it answers. A lone payload travels as one
 * {@link RunRequest}; when executed payloads queue up, the pool sends a thread a
 * {@link RunBatch} of them in one message (one message per run costs more than the run of a
 * small payload). A thread still runs one payload at a time, in order, answering each as it
 * ends, and stops at the first that leaves it unclean: the pool then runs the rest elsewhere.
 * Values travel by structured clone, so everything here is plain data.
 */

/**
 * A payload as the worker receives it: what to load and how to call it.
 *
 * - `function`: the source text of a self-contained function, compiled in the worker.
 * - `module`: an export of an ES module, imported in the worker.
 * - `service`: a class exported by an ES module; the worker makes an instance from `state`
 *   and calls its `run()`.
 *
 * @example
 * const source: PayloadSource = { kind: 'function', name: 'add', source: '(a, b) => a + b' };
 */
export type PayloadSource =
  | { readonly kind: 'function'; readonly name: string; readonly source: string }
  | { readonly kind: 'module'; readonly name: string; readonly url: string; readonly export: string }
  | {
      readonly kind: 'service';
      readonly name: string;
      readonly url: string;
      readonly export: string;
      readonly state: Readonly<Record<string, unknown>>;
    };

/**
 * Main → worker: run a payload. The worker answers with exactly one {@link RunDone}.
 *
 * @example
 * worker.postMessage({ type: 'run', id: 1, payload: source, args: [1, 2] } satisfies RunRequest);
 */
export interface RunRequest {
  readonly type: 'run';
  /** Unique per worker; the answer carries it back. */
  readonly id: number;
  readonly payload: PayloadSource;
  readonly args: readonly unknown[];
}

/**
 * All messages the main thread sends.
 *
 * @example
 * port.on('message', (message: ToWorker) => { if (message.type === 'run') void run(message); else void runAll(message.runs); });
 */
export type ToWorker = RunRequest | RunBatch;

/**
 * Main → worker: run these payloads one after another, in order, each answered by its own
 * {@link RunDone}. Their ids follow each other. The worker stops at a run that leaves it unclean
 * (or crashes it) and answers none after it; the pool sends those to another thread.
 *
 * @example
 * worker.postMessage({ type: 'batch', runs: [first, second] } satisfies RunBatch);
 */
export interface RunBatch {
  readonly type: 'batch';
  readonly runs: readonly RunRequest[];
}

/**
 * A thrown value, made fit to travel: Errors lose their prototype in a structured clone (and
 * Node 20 drops some of their fields), so they are taken apart here and put back together
 * in the main thread; anything else is cloned as it is, or described when it cannot be.
 *
 * @example
 * const thrown: Thrown = { kind: 'value', value: 'a string was thrown' };
 */
export type Thrown =
  | {
      readonly kind: 'error';
      readonly name: string;
      readonly message: string;
      readonly stack: string | undefined;
      /** Present when the error had an own `cause`. */
      readonly cause?: Thrown;
      /** The errors of an AggregateError. */
      readonly errors?: readonly Thrown[];
      /** Other own enumerable properties that could be cloned, such as `code`. */
      readonly props: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'uncloneable'; readonly description: string };

/**
 * Worker → main: a run has ended. `clean` says whether the worker is as good as new, that is
 * the payload left no timer, socket or other active resource behind; only then is it reused.
 *
 * @example
 * parentPort.postMessage({ type: 'done', id: 1, ok: true, value: 3, clean: true } satisfies RunDone);
 */
export type RunDone =
  | { readonly type: 'done'; readonly id: number; readonly ok: true; readonly value: unknown; readonly clean: boolean }
  | { readonly type: 'done'; readonly id: number; readonly ok: false; readonly error: Thrown; readonly clean: boolean };

/**
 * Worker → main: the worker has loaded its entry and takes runs.
 *
 * @example
 * parentPort.postMessage({ type: 'ready' } satisfies WorkerReady);
 */
export interface WorkerReady {
  readonly type: 'ready';
}

/**
 * All messages a worker sends.
 *
 * @example
 * worker.on('message', (message: FromWorker) => (message.type === 'ready' ? onReady() : onDone(message)));
 */
export type FromWorker = RunDone | WorkerReady | WorkerDiagnostic;

/**
 * Worker → main: a message published in the worker on a `node:diagnostics_channel` channel
 * named in the threading option `forwardChannels`. The main thread publishes it on the channel
 * of the same name if that has subscribers there. It is sent before the run's answer.
 *
 * @example
 * parentPort.postMessage({ type: 'diagnostic', channel: 'app:jobs', message: { done: 3 } } satisfies WorkerDiagnostic);
 */
export interface WorkerDiagnostic {
  readonly type: 'diagnostic';
  readonly channel: string;
  readonly message: unknown;
}

/**
 * What a worker thread is started with (its `workerData`).
 *
 * @example
 * new Worker(entry, { workerData: { forwardChannels: ['app:jobs'] } satisfies WorkerOptions });
 */
export interface WorkerOptions {
  /** The diagnostics channels whose messages the worker forwards to the main thread. */
  readonly forwardChannels: readonly string[];
}

const maxDepth = 8;

/**
 * Encode a thrown value for {@link RunDone}: an Error by its name, message, stack, cause,
 * aggregated errors and cloneable own properties; anything else by a structured clone, or by
 * a description when it cannot be cloned.
 *
 * @example
 * catch (err) { parentPort.postMessage({ type: 'done', id, ok: false, error: toThrown(err), clean }); }
 */
export function toThrown(value: unknown, depth = 0): Thrown {
  if (isError(value) && depth < maxDepth) {
    const props: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(value)) {
      if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause' || key === 'errors') continue;
      if (cloneable(prop)) props[key] = prop;
    }
    const thrown: { -readonly [K in keyof Extract<Thrown, { kind: 'error' }>]: Extract<Thrown, { kind: 'error' }>[K] } = {
      kind: 'error',
      name: String(value.name),
      message: String(value.message),
      stack: typeof value.stack === 'string' ? value.stack : undefined,
      props,
    };
    if (Object.hasOwn(value, 'cause')) thrown.cause = toThrown(value.cause, depth + 1);
    const errors: unknown = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors)) thrown.errors = errors.map((inner: unknown) => toThrown(inner, depth + 1));
    return thrown;
  }
  if (cloneable(value)) return { kind: 'value', value };
  return { kind: 'uncloneable', description: describe(value) };
}

const errorClasses: Readonly<Record<string, new (message?: string, options?: ErrorOptions) => Error>> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

/**
 * Decode a {@link Thrown}: an Error of the same built-in class when its name is one
 * (`TypeError`, …) or an `Error` with the original name otherwise, with the worker's stack;
 * a cloned value as it is.
 *
 * @example
 * if (!done.ok) reject(fromThrown(done.error));
 */
export function fromThrown(thrown: Thrown): unknown {
  switch (thrown.kind) {
    case 'value':
      return thrown.value;
    case 'uncloneable':
      return new Error(`a threading payload threw a value that cannot be sent between threads: ${thrown.description}`);
    case 'error': {
      const options = thrown.cause === undefined ? undefined : { cause: fromThrown(thrown.cause) };
      let error: Error;
      if (thrown.errors) {
        error = new AggregateError(thrown.errors.map(fromThrown), thrown.message, options);
      } else {
        const ErrorClass = errorClasses[thrown.name] ?? Error;
        error = new ErrorClass(thrown.message, options);
      }
      if (error.name !== thrown.name) {
        Object.defineProperty(error, 'name', { value: thrown.name, writable: true, configurable: true, enumerable: false });
      }
      Object.assign(error, thrown.props);
      Object.defineProperty(error, 'stack', {
        value: thrown.stack ?? `${thrown.name}: ${thrown.message}`,
        writable: true,
        configurable: true,
        enumerable: false,
      });
      return error;
    }
  }
}

function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return value.toString();
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return typeof value;
  }
}
