/**
 * Turning a payload into something a worker thread can run, and explaining why when it
 * cannot. A worker thread shares no objects with the main thread: a function travels as its
 * source text and is compiled again there, without the closure it was written in; a module
 * export travels as the module's URL and the export's name; a service travels as its module,
 * its class's export name and a clone of the instance's properties. This file checks payloads
 * before they are sent (the common ways a function's source cannot work in another thread
 * are recognised here), and, in the worker, rephrases the ReferenceError of a function that
 * needed a variable of its original scope.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { inspect } from 'node:util';
import type { PayloadSource } from './protocol.js';

/**
 * A payload that is an export of an ES module: the worker imports `module` and calls the
 * export named `export` (the default export when omitted) with the arguments.
 *
 * `module` is a URL (`file:`, `data:`, `node:`; a `URL` object or its string), an absolute
 * file path, or a bare package specifier (resolved from this package's location). Relative
 * specifiers are refused: resolve them first with `new URL('./jobs.mjs', import.meta.url)`.
 *
 * @example
 * await runtime.execute({ module: new URL('./jobs.mjs', import.meta.url), export: 'resize' },
 *   { flavour: threading, args: [imageBytes, 640] });
 */
export interface ModulePayload {
  readonly module: string | URL;
  readonly export?: string;
}

/**
 * A payload's source that cannot run in a worker thread, with the reason and what to do
 * instead. Thrown by the flavour's `validate()`, so `adopt()`/`execute()` refuse the payload
 * before anything is sent.
 *
 * @example
 * try { runner.adopt(Math.max, { flavour: threading }); }
 * catch (err) { if (err instanceof PayloadSourceError) console.error(err.message); }
 */
export class PayloadSourceError extends TypeError {
  override readonly name = 'PayloadSourceError';
  constructor(
    /** The payload's name. */
    readonly payloadName: string,
    /** Why its source cannot run, and what to do instead. */
    readonly reason: string,
  ) {
    super(`threading payload '${payloadName}' cannot run in a worker thread: ${reason}`);
  }
}

const serviceInstance = Symbol('@cobald/flavour-threading/service-instance');

/**
 * The payload that runs a service's `run()`: its class's module and export, and the instance.
 *
 * @example
 * const payload: ServicePayload = bindServicePayload(instance, { module: import.meta.url });
 */
export interface ServicePayload extends ModulePayload {
  readonly module: string;
  readonly export: string;
  readonly [serviceInstance]: object;
}

/**
 * Whether `payload` was made by {@link bindServicePayload}.
 *
 * @example
 * if (isServicePayload(payload)) console.log(`service of class ${payload.export}`);
 */
export function isServicePayload(payload: unknown): payload is ServicePayload {
  return typeof payload === 'object' && payload !== null && serviceInstance in payload;
}

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
  if (typeof payload === 'function') {
    const prepared = prepareFunction(payload as AnyFunction);
    if (prepared instanceof Error) throw prepared;
    return { kind: 'function', name, source: prepared.expression };
  }
  if (isServicePayload(payload)) {
    const state = Object.fromEntries(Object.entries(payload[serviceInstance]));
    return { kind: 'service', name, url: payload.module, export: payload.export, state };
  }
  const ref = payload as ModulePayload;
  return { kind: 'module', name, url: moduleUrl(ref), export: ref.export ?? 'default' };
}

/**
 * The payload that runs service `instance` in a worker thread. A class cannot travel between
 * threads, but the module that exports it can be imported in the worker: so the service names
 * that module (`module`, usually `import.meta.url`) and the class's export (`export`, by
 * default the class's name). The worker imports the module, makes an instance with
 * `Object.create(Class.prototype)`, assigns a structured clone of this instance's own
 * enumerable properties, and calls its `run()`. Private (`#`) fields and symbol-keyed
 * properties do not travel; neither does anything a structured clone cannot copy.
 *
 * @throws TypeError when `module` is missing or not a URL/path, or `export` is not a string.
 *
 * @example
 * const payload = bindServicePayload(crawler, { module: import.meta.url, export: 'Crawler' });
 */
export function bindServicePayload(instance: { run(): unknown }, options: Readonly<Record<string, unknown>>): ServicePayload {
  const className = (instance.constructor as { name?: string } | undefined)?.name || 'anonymous';
  const { url, exportName } = serviceModule(className, options);
  return Object.freeze({ module: url, export: exportName, [serviceInstance]: instance });
}

/**
 * Check the options of a threading service when its class is decorated (the flavour's
 * `checkServiceOptions`), so that a missing or wrong `module` or `export` shows at once, not
 * when the service starts.
 *
 * @throws TypeError when `module` is missing or not a URL/path, or `export` is not a string.
 *
 * @example
 * checkServiceOptions({ flavour: threading }, Crawler); // throws: … needs 'module' …
 */
export function checkServiceOptions(options: Readonly<Record<string, unknown>>, target: Function): void {
  serviceModule(target.name || 'anonymous', options);
}

/** The module URL and export name of a threading service of class `className`. */
function serviceModule(className: string, options: Readonly<Record<string, unknown>>): { url: string; exportName: string } {
  const { module, export: exportName = className } = options;
  if (module === undefined) {
    throw new TypeError(
      `@service({ flavour: threading }) of class ${className} needs 'module': the URL of the module ` +
        `that exports the class, usually import.meta.url. A class cannot be sent to a worker thread, ` +
        `but its module can be imported there: the worker imports the module, takes the class from ` +
        `its export '${String(exportName)}' (option 'export', by default the class's name), makes an ` +
        `instance with a clone of this instance's properties and calls run(). Write ` +
        `@service({ flavour: threading, module: import.meta.url }) and export the class`,
    );
  }
  if (typeof module !== 'string' && !(module instanceof URL)) {
    throw new TypeError(`@service(): 'module' of a threading service must be a URL or a path, got ${describeValue(module)}`);
  }
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(`@service(): 'export' of a threading service must be a non-empty string, got ${describeValue(exportName)}`);
  }
  return { url: moduleUrl({ module }), exportName };
}

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

/**
 * The sourceURL that marks code compiled from a function payload in stack traces.
 *
 * @example
 * sourceUrlOf('resize'); // 'cobald-threading-payload:resize', as in "at resize (cobald-threading-payload:resize:4:12)"
 */
export function sourceUrlOf(name: string): string {
  return `cobald-threading-payload:${encodeURIComponent(name)}`;
}

/** Where the expression starts in what `new Function` compiles: after its header and `'use strict'`. */
const expressionLine = 4;
const expressionColumn = 'return '.length;

/**
 * In the worker: compile the expression of a function payload ({@link toPayloadSource}) into
 * the function, in strict mode, with `require` in scope and a sourceURL naming the payload.
 *
 * @example
 * const fn = compileFunction(source.source, source.name, createRequire(import.meta.url));
 */
export function compileFunction(expression: string, name: string, require: NodeRequire): (...args: unknown[]) => unknown {
  // `new Function` puts two lines before the body: the expression starts on line 4.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('require', `'use strict';\nreturn ${expression};\n//# sourceURL=${sourceUrlOf(name)}`);
  return (factory as (r: NodeRequire) => (...args: unknown[]) => unknown)(require);
}

/**
 * In the worker: when `error` is the ReferenceError of an undefined variable in the code of
 * function payload `name` itself (the error's position in the payload's source is that
 * variable), the function used a variable of the scope it was written in, which does not
 * exist in the worker. Returns an error that says so; any other error is returned as it is.
 *
 * @example
 * catch (err) { throw explainMissingVariable(err, source.name, source.source); }
 */
export function explainMissingVariable(error: unknown, name: string, expression: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const variable = /^(\S+) is not defined$/.exec(error.message)?.[1];
  const topFrame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  if (!variable || !topFrame) return error;
  const position = new RegExp(`${escapeRegExp(sourceUrlOf(name))}:(\\d+):(\\d+)\\)?$`).exec(topFrame);
  if (!position) return error;
  const line = Number(position[1]) - expressionLine;
  const column = Number(position[2]) - 1 - (line === 0 ? expressionColumn : 0);
  const text = expression.split('\n')[line];
  if (text?.slice(column, column + variable.length) !== variable) return error;
  const explained = new ReferenceError(
    `threading payload '${name}' refers to '${variable}', which is not defined in the worker thread: ` +
      `a function payload runs from its source text in another thread, without the variables of the ` +
      `scope it was written in. Pass '${variable}' as an argument (args: [...]), import or require it ` +
      `inside the function, or use a module payload ({ module, export })`,
    { cause: error },
  );
  explained.stack = `${explained.name}: ${explained.message}\n${error.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return explained;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------

type AnyFunction = (...args: unknown[]) => unknown;

/** A function's source made into an expression that evaluates to a function. */
interface PreparedFunction {
  readonly expression: string;
}

const byFunction = new WeakMap<AnyFunction, PreparedFunction | PayloadSourceError>();
const bySource = new Map<string, PreparedFunction | string>();
const maxCachedSources = 1000;

function prepareFunction(fn: AnyFunction): PreparedFunction | PayloadSourceError {
  let prepared = byFunction.get(fn);
  if (!prepared) {
    const source = Function.prototype.toString.call(fn);
    let outcome = bySource.get(source);
    if (outcome === undefined) {
      outcome = analyse(source);
      if (bySource.size >= maxCachedSources) bySource.clear();
      bySource.set(source, outcome);
    }
    prepared = typeof outcome === 'string' ? new PayloadSourceError(fn.name || 'anonymous', outcome) : outcome;
    byFunction.set(fn, prepared);
  }
  return prepared;
}

/** Helpers that compilers and instrumenters call from inside a function's source. */
const foreignHelpers: readonly { readonly pattern: RegExp; readonly reason: (helper: string) => string }[] = [
  {
    pattern: /\b__coverage__\b|\bcov_[a-z0-9]+(?:\(\))?\.[sfb]\[/,
    reason: () =>
      `its source was instrumented by a coverage tool (istanbul: the 'cov_…'/__coverage__ counters), ` +
      `and the counters live in the instrumented module, not in the worker. Use a module payload, ` +
      `collect coverage with V8 instead (jest's coverageProvider: 'v8', c8), which leaves the source ` +
      `as it is, or exclude the function from instrumentation (/* istanbul ignore next */)`,
  },
  {
    pattern: /\b(__awaiter|__generator|__asyncGenerator|__await|__asyncValues|__values|__read|__spread|__spreadArray|__assign|__rest|__decorate|__classPrivateFieldGet|__classPrivateFieldSet)\s*\(/,
    reason: (helper) =>
      `its source calls ${helper}, a helper that TypeScript adds when it compiles for an older target, ` +
      `and the helper exists in the compiled module, not in the worker. Compile with 'target' ES2018 ` +
      `or later (so async functions and spreads stay as they are), or use a module payload`,
  },
  {
    pattern: /\b(__name|__async|__publicField|__spreadValues|__spreadProps|__objRest|__require|__toESM)\s*\(/,
    reason: (helper) =>
      `its source calls ${helper}, a helper that esbuild (tsx, vite, bundlers) adds, for example for ` +
      `keepNames or a lowered target, and the helper exists in the bundle, not in the worker. Turn ` +
      `off keepNames, raise the target, or use a module payload`,
  },
  {
    pattern: /\b(_asyncToGenerator|_regeneratorRuntime|regeneratorRuntime|_defineProperty|_objectSpread2?|_interopRequireDefault)\b/,
    reason: (helper) =>
      `its source uses ${helper}, a helper that Babel adds when it compiles for older engines, and ` +
      `the helper exists in the compiled module, not in the worker. Target a current Node.js ` +
      `(@babel/preset-env with targets: { node: 'current' }), or use a module payload`,
  },
];

/** Make `source` a function expression, or say why it cannot run in a worker thread. */
function analyse(source: string): PreparedFunction | string {
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    return (
      `it is a native or bound function, whose source ('${abbreviate(source)}') is not JavaScript ` +
      `a worker could compile. Pass the function itself instead of fn.bind(...) (give bound ` +
      `values as arguments), wrap a built-in in a function written in JavaScript, or use a ` +
      `module payload`
    );
  }
  if (/^class\b/.test(source)) {
    return (
      `it is a class, which is constructed, not called. Pass a function, or run the class as a ` +
      `threading service: @service({ flavour: threading, module: import.meta.url })`
    );
  }
  let expression: string | undefined;
  if (compiles(`(${source}\n)`)) {
    expression = `(${source}\n)`;
  } else if (/^(?:get|set)\s+(?!\()/.test(source)) {
    return (
      `it is a getter or setter ('${abbreviate(source)}'), not a function that can be called. ` +
      `Pass a function, or use a module payload`
    );
  } else {
    // A method in shorthand form (`run() {}`, `async run() {}`, `*items() {}`) is not an
    // expression by itself; in an object literal it is, and the object's one property is it.
    const wrapped = `((object) => object[Reflect.ownKeys(object)[0]])({ ${source}\n})`;
    if (compiles(wrapped)) expression = wrapped;
  }
  if (expression === undefined) {
    return (
      `its source ('${abbreviate(source)}') is not a function expression that can be compiled ` +
      `on its own in strict mode (a private method, for example). Pass a plain function, an ` +
      `arrow function or a method, or use a module payload`
    );
  }
  for (const { pattern, reason } of foreignHelpers) {
    const match = pattern.exec(source);
    if (!match) continue;
    const helper = match[1] ?? match[0];
    if (match[1] && new RegExp(`\\b(?:const|let|var|function|class)\\s+${match[1]}\\b`).test(source)) continue;
    return reason(helper);
  }
  return { expression };
}

function compiles(code: string): boolean {
  try {
    new Script(`'use strict';\n${code}`, { filename: 'cobald-threading-check' });
    return true;
  } catch {
    return false;
  }
}

/** The URL (or bare specifier) the worker imports for `ref`; throws a TypeError if there is none. */
function moduleUrl(ref: ModulePayload): string {
  const { module } = ref;
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(
      `'module' of a threading module payload must be a URL or a non-empty string, got ${describeValue(module)}`,
    );
  }
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('./') || module.startsWith('../') || module === '.' || module === '..') {
    throw new TypeError(
      `'module' of a threading payload is relative ('${module}'), but a worker thread cannot know ` +
        `relative to what: resolve it first, as new URL('${module}', import.meta.url)`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) {
    try {
      return new URL(module).href;
    } catch {
      throw new TypeError(`'module' of a threading payload is not a valid URL: '${module}'`);
    }
  }
  return module;
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function abbreviate(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') return `an object (${inspect(value, { depth: 0, breakLength: Infinity }).slice(0, 60)})`;
  return `${typeof value} ${inspect(value).slice(0, 60)}`;
}
