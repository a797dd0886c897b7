/**
 * The encoding of thrown values that travels between threads ({@link toThrown},
 * {@link fromThrown}): Errors lose their prototype in a structured clone, so they are taken
 * apart in the worker and put back together in the main thread.
 */
import { cloneable } from './cloneable.js';

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
  try {
    if (isError(value) && depth < maxDepth) return errorToThrown(value, depth);
    if (cloneable(value)) return { kind: 'value', value };
  } catch {
    // A getter or a proxy trap that throws: what it is cannot be read, only described.
  }
  return { kind: 'uncloneable', description: describe(value) };
}

function errorToThrown(value: Error, depth: number): Thrown {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause' || key === 'errors') continue;
    const prop = read(value, key);
    if (prop.ok && cloneable(prop.value)) props[key] = prop.value;
  }
  const name = read(value, 'name');
  const message = read(value, 'message');
  const stack = read(value, 'stack');
  const thrown: { -readonly [K in keyof Extract<Thrown, { kind: 'error' }>]: Extract<Thrown, { kind: 'error' }>[K] } = {
    kind: 'error',
    name: name.ok ? safeString(name.value, 'Error') : 'Error',
    message: message.ok ? safeString(message.value, '') : '(its message could not be read)',
    stack: stack.ok && typeof stack.value === 'string' ? stack.value : undefined,
    props,
  };
  if (Object.hasOwn(value, 'cause')) {
    const cause = read(value, 'cause');
    thrown.cause = cause.ok ? toThrown(cause.value, depth + 1) : { kind: 'uncloneable', description: 'a cause that could not be read' };
  }
  const errors = read(value, 'errors');
  if (errors.ok && Array.isArray(errors.value)) thrown.errors = errors.value.map((inner: unknown) => toThrown(inner, depth + 1));
  return thrown;
}

/** A property that may be a getter that throws. */
function read(object: object, key: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: (object as Record<string, unknown>)[key] };
  } catch {
    return { ok: false };
  }
}

function safeString(value: unknown, fallback: string): string {
  try {
    return String(value);
  } catch {
    return fallback;
  }
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
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  try {
    if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
    if (typeof value === 'symbol') return value.toString();
    return Object.prototype.toString.call(value);
  } catch {
    return `an ${typeof value} whose properties throw when read`;
  }
}
