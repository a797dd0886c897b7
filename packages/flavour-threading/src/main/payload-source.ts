/**
 * Turning a payload into something a worker thread can run ({@link toPayloadSource}), checking
 * it before it is sent, and explaining why arguments cannot travel. A worker thread shares no
 * objects with the main thread: a function travels as its source text and is compiled again
 * there, a module export travels as the module's URL and the export's name, a service as its
 * module, its class's export name and a clone of the instance's properties.
 */
import { prepareFunction, type AnyFunction } from './function-source.js';
import { moduleUrl } from './module-url.js';
import type { PayloadSource } from '../shared/messages.js';
import { isServicePayload, serviceInstance } from './service-payload.js';
import type { ModulePayload } from '../types.js';
import { cloneable } from '../shared/cloneable.js';
import { describeValue } from './describe-value.js';

/**
 * Check that `payload` is a function or a module reference that a worker can run; throw a
 * TypeError (a {@link PayloadSourceError} for a function whose source cannot work) otherwise.
 *
 * @example
 * checkPayload({ module: import.meta.url, export: 'job' }); // fine
 * checkPayload(Math.max); // throws: a native function has no source
 */
export function checkPayload(payload: unknown): void {
  if (typeof payload === 'function') {
    const prepared = prepareFunction(payload as AnyFunction);
    if (prepared instanceof Error) throw prepared;
    return;
  }
  if (typeof payload === 'object' && payload !== null && 'module' in payload) {
    moduleUrl(payload as ModulePayload);
    const name = (payload as ModulePayload).export;
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw new TypeError(`'export' of a threading module payload must be a non-empty string, got ${describeValue(name)}`);
    }
    return;
  }
  throw new TypeError(
    'a threading payload is a self-contained function, or an ES module export as ' +
      `{ module: string | URL, export?: string }; got ${describeValue(payload)}`,
  );
}

/**
 * The name of a payload for logs and errors: a function's name, `'export' of 'url'` for a
 * module export.
 *
 * @example
 * payloadName({ module: 'file:///srv/jobs.mjs', export: 'handler' }); // "'handler' of 'file:///srv/jobs.mjs'"
 */
export function payloadName(payload: unknown): string {
  if (typeof payload === 'function') return payload.name || 'anonymous';
  if (isServicePayload(payload)) return `${payload.export}.run`;
  const ref = payload as ModulePayload;
  return `'${ref.export ?? 'default'}' of '${String(ref.module)}'`;
}

/**
 * What the worker receives for `payload`, which {@link checkPayload} accepted. A service's
 * instance state is cloned from its own enumerable properties now, when it is sent.
 *
 * @example
 * worker.postMessage({ type: 'run', id, payload: toPayloadSource(fn, 'fn'), args });
 */
export function toPayloadSource(payload: unknown, name: string): PayloadSource {
  if (isServicePayload(payload)) {
    const state = Object.fromEntries(Object.entries(payload[serviceInstance]));
    return { kind: 'service', name, url: payload.module, export: payload.export, state };
  }
  // The same payload under the same name is the same object each time: a thread is sent it once.
  if (typeof payload === 'function') {
    const known = functionSources.get(payload);
    if (known?.name === name) return known;
    const prepared = prepareFunction(payload as AnyFunction);
    if (prepared instanceof Error) throw prepared;
    const source: PayloadSource = { kind: 'function', name, source: prepared.expression };
    functionSources.set(payload, source);
    return source;
  }
  const ref = payload as ModulePayload;
  const url = moduleUrl(ref);
  const exported = ref.export ?? 'default';
  const key = `${name}\n${exported}\n${url}`;
  let source = moduleSources.get(key);
  if (!source) {
    source = { kind: 'module', name, url, export: exported };
    if (moduleSources.size >= 1024) moduleSources.clear();
    moduleSources.set(key, source);
  }
  return source;
}

/** The last source made for each function payload (its source text never changes). */
const functionSources = new WeakMap<object, PayloadSource>();
/** The sources of module payloads, by name, export and URL (the payload object may be made anew or changed). */
const moduleSources = new Map<string, PayloadSource>();

/**
 * The error to report when the arguments or a service's state of payload `name` cannot be
 * cloned to a worker thread: it names the argument or property that cannot, and why.
 *
 * @example
 * try { worker.postMessage(message); } catch (err) { reject(explainUnsendable(source, args, err)); }
 */
export function explainUnsendable(source: PayloadSource, args: readonly unknown[], error: unknown): TypeError {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const culprit =
    source.kind === 'service'
      ? Object.entries(source.state).find(([, value]) => !cloneable(value))
      : args.map((value, index) => [`argument ${index}`, value] as const).find(([, value]) => !cloneable(value));
  const what =
    source.kind === 'service'
      ? `the state of service '${source.name}'${culprit ? ` (property '${culprit[0]}', ${describeValue(culprit[1])})` : ''}`
      : `the arguments of threading payload '${source.name}'${culprit ? ` (${culprit[0]}, ${describeValue(culprit[1])})` : ''}`;
  return new TypeError(
    `${what} cannot be sent to a worker thread (${detail}): values travel by structured clone, ` +
      `which copies data (objects, arrays, typed arrays, Maps, Errors…) but not functions, ` +
      `class instances' methods or handles that belong to this thread; send plain data instead`,
    { cause: error },
  );
}
