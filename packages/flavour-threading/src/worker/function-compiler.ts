/**
 * In the worker thread: compiling a function payload from its source text, and explaining the
 * ReferenceError of a function that needed a variable of the scope it was written in. This is
 * all of the payload handling the worker loads; the main thread's checks stay there.
 */

/**
 * The sourceURL that marks code compiled from a function payload in stack traces.
 *
 * @example
 * sourceUrlOf('resize'); // 'cobald-threading-payload:resize', as in "at resize (cobald-threading-payload:resize:4:12)"
 */
export function sourceUrlOf(name: string): string {
  return `cobald-threading-payload:${encodeURIComponent(name)}`;
}

/** The line where the expression starts in what `new Function` compiles: after its header and `'use strict'`. */
const expressionLine = 4;

/**
 * In the worker: compile the expression of a function payload ({@link toPayloadSource}) into
 * the function, in strict mode, with `require` in scope and a sourceURL naming the payload.
 *
 * @example
 * const fn = compileFunction(source.source, source.name, createRequire(import.meta.url));
 */
export function compileFunction(expression: string, name: string, require: NodeRequire): (...args: unknown[]) => unknown {
  // `new Function` puts two lines before the body: the expression starts on line 4.
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
  // V8 reports the column of the expression or of the statement that failed, depending on the
  // code's shape: look for the variable on the reported line as a whole identifier outside
  // string literals, not at an exact column.
  const text = expression.split('\n')[Number(position[1]) - expressionLine]?.replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""');
  if (text === undefined || !new RegExp(`(?<![\\w$.])${escapeRegExp(variable)}(?![\\w$])`).test(text)) return error;
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
