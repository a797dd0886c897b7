/** Where a module payload's module is, as the worker thread imports it. */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModulePayload } from '../types.js';
import { describeValue } from './describe-value.js';

/** The URL (or bare specifier) the worker imports for `ref`; throws a TypeError if there is none. */
export function moduleUrl(ref: ModulePayload): string {
  const { module } = ref;
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(`'module' of a threading module payload must be a URL or a non-empty string, got ${describeValue(module)}`);
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
