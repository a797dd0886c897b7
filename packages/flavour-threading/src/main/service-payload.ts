/**
 * Threading services: a class cannot travel to another thread, but the module that exports it
 * can be imported there. A service's payload names that module and the class's export, and
 * carries the instance whose own properties are cloned to the worker when it starts.
 */
import type { ModulePayload } from '../types.js';
import { moduleUrl } from './module-url.js';
import { describeValue } from './describe-value.js';

export const serviceInstance = Symbol('@cobald/flavour-threading/service-instance');

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
