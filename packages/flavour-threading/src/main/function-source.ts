/**
 * In the main thread: whether a function's source can run in a worker thread, where it is
 * compiled again from its text without the closure it was written in. The common ways it
 * cannot (native and bound functions, classes, getters, helpers that compilers and
 * instrumenters call from elsewhere) are recognised here and explained.
 */
import { Script } from 'node:vm';
import { PayloadSourceError } from '../errors.js';

export type AnyFunction = (...args: unknown[]) => unknown;

/** A function's source made into an expression that evaluates to a function. */
export interface PreparedFunction {
  readonly expression: string;
}

const byFunction = new WeakMap<AnyFunction, PreparedFunction | PayloadSourceError>();
const bySource = new Map<string, PreparedFunction | string>();
const maxCachedSources = 1000;

export function prepareFunction(fn: AnyFunction): PreparedFunction | PayloadSourceError {
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
    pattern:
      /\b(__awaiter|__generator|__asyncGenerator|__await|__asyncValues|__values|__read|__spread|__spreadArray|__assign|__rest|__decorate|__classPrivateFieldGet|__classPrivateFieldSet)\s*\(/,
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
      `it is a getter or setter ('${abbreviate(source)}'), not a function that can be called. ` + `Pass a function, or use a module payload`
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

function abbreviate(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
