/**
 * In the worker: the payloads the main thread defined for this thread, and calling one: a
 * function compiled from its source (once per thread), a module's export, a service's `run()`.
 * Errors of loading are explained (a closure variable, a TypeScript module this Node.js cannot
 * load).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { PayloadSource } from '../shared/messages.js';
import { compileFunction, explainMissingVariable, sourceUrlOf } from './function-compiler.js';
import { explainModuleLoadError } from './module-load-error.js';

type Callable = (...args: unknown[]) => unknown;

/** A payload as this thread keeps it: what the main thread sent, and its function once compiled. */
export interface Payload {
  readonly source: PayloadSource;
  fn: Callable | undefined;
}

/** The `require` function payloads see: it resolves like a script in the working directory. */
const payloadRequire = createRequire(join(process.cwd(), '[cobald-threading-payload].js'));

/** The payloads the main thread defined for this thread, by number. */
const defined = new Map<number, Payload>();
/** Compiled functions by name and source, so that a payload sent again under a new number is not compiled again. */
const compiled = new Map<string, Callable>();
const maxCompiled = 256;

/** The payload defined as `number`. */
export function definedPayload(number: number): Payload | undefined {
  return defined.get(number);
}

/** A payload sent with a run; kept as `define` when that is not 0. */
export function receivedPayload(source: PayloadSource, define: number): Payload {
  const payload: Payload = { source, fn: undefined };
  if (define !== 0) defined.set(define, payload);
  return payload;
}

/**
 * Call `payload` with `args`: its result (a promise for module and service payloads, which are
 * imported first), or a throw.
 */
export function callPayload(payload: Payload, args: readonly unknown[]): unknown {
  const { source } = payload;
  if (source.kind === 'function') {
    // Called as a plain function: stack traces show 'at name', not 'at Object.name [as fn]'.
    const fn = (payload.fn ??= compile(source.source, source.name));
    return fn(...args);
  }
  return callModule(source, args);
}

async function callModule(source: Exclude<PayloadSource, { kind: 'function' }>, args: readonly unknown[]): Promise<unknown> {
  const exported = exportOf((await import(source.url)) as Record<string, unknown>, source.url, source.export);
  if (source.kind === 'module') {
    if (typeof exported !== 'function') {
      throw new TypeError(`export '${source.export}' of module '${source.url}' is not a function but ${describe(exported)}`);
    }
    return (exported as Callable)(...args);
  }
  const prototype = typeof exported === 'function' ? (exported as { prototype?: unknown }).prototype : undefined;
  if (typeof prototype !== 'object' || prototype === null || typeof (prototype as { run?: unknown }).run !== 'function') {
    throw new TypeError(
      `service '${source.name}': export '${source.export}' of module '${source.url}' is not a class ` +
        `with a run() method but ${describe(exported)}; set 'export' to the name the class is exported under`,
    );
  }
  const instance = Object.assign(Object.create(prototype) as { run(): unknown }, source.state);
  return instance.run();
}

/** The error to report for `error`, thrown by `payload`: explained where the plain one would not say what to do. */
export function explainError(error: unknown, payload: Payload): unknown {
  const { source } = payload;
  if (source.kind === 'function') return explainMissingVariable(error, source.name, source.source);
  return explainModuleLoadError(error, source.url);
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

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'function' ? 'a function' : `a ${typeof value}`;
}
