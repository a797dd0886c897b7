/**
 * In the worker thread: explaining why the module of a module payload could not be loaded
 * where the plain error does not say what to do, as for a TypeScript module on a Node.js that
 * does not strip types.
 */

const typeScriptFile = /\.(?:ts|mts|cts)(?:[?#].*)?$/;

/**
 * The error to report for `error`, thrown while importing or running module `url`: for a
 * TypeScript module that this Node.js cannot load, a TypeError that says which Node.js can
 * and what to do instead (with the original error as `cause`); any other error as it is.
 *
 * @example
 * catch (err) { throw explainModuleLoadError(err, 'file:///srv/job.ts'); }
 */
export function explainModuleLoadError(error: unknown, url: string): unknown {
  if (!typeScriptFile.test(url)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const node = `Node.js ${process.version}`;
  let reason: string | undefined;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    reason =
      `${node} does not strip TypeScript types (Node.js 22.18+, 23.6+, 24 and later do, by default). ` +
      `Run a Node.js that does, start it with --experimental-strip-types (22.6 to 22.17), compile the ` +
      `module to JavaScript and name the .js file, or register a TypeScript loader for the process ` +
      `(node --import tsx; worker threads inherit it)`;
  } else if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') {
    reason =
      `it uses TypeScript syntax that ${node} cannot strip, only erase-able types are (no enums, ` +
      `namespaces with values or parameter properties): rewrite those parts, start Node.js with ` +
      `--experimental-transform-types, or compile the module to JavaScript`;
  } else if (code === 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') {
    reason = `Node.js does not strip types of files under node_modules: publish compiled JavaScript, or compile the module`;
  }
  if (reason === undefined) return error;
  return new TypeError(`the TypeScript module '${url}' of a threading payload cannot be loaded: ${reason}`, { cause: error });
}
