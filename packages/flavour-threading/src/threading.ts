/**
 * The threading flavour object: what `{ flavour: threading }` refers to. It checks payloads,
 * names them, binds services to their modules, and makes a {@link ThreadingRunner} for each
 * accepting `ServiceRunner`. Importing the package registers it as `'threading'`.
 */
import { defineFlavour, registerFlavour } from '@cobald/kernel';
import { checkPayload, payloadName } from './main/payload-source.js';
import { ThreadingRunner } from './main/runner.js';
import { bindServicePayload, checkServiceOptions } from './main/service-payload.js';
import type { ThreadingTypes } from './types.js';
import { version } from './version.js';

/**
 * The threading flavour, like cobald's: payloads run in `worker_threads`, so CPU-bound work
 * does not stall the main thread. A function payload travels as its source text, so it must
 * be self-contained: it may use its arguments, globals, `require` and `import()`, but not the
 * variables of the scope it was written in (pass them as arguments, or use a module payload
 * `{ module, export? }`). Arguments and results travel by structured clone; a
 * `SharedArrayBuffer` is shared. Executes share at most `maxWorkers` threads (option, default
 * `os.availableParallelism()`); each adopted payload holds a thread of its own. A stopped
 * payload's signal aborts (`currentSignal()` from `@cobald/kernel` in the worker); it has its
 * `shutdownTimeout` or the grace period to return, then its thread is terminated and it is
 * abandoned, with a warning, like a payload of any flavour that does not stop in time.
 *
 * Services name the module that exports their class, since a class cannot travel to another
 * thread but its module can be imported there; see `bindService`.
 *
 * @example
 * import { ServiceRunner } from '@cobald/kernel';
 * import { threading } from '@cobald/flavour-threading';
 *
 * const runner = new ServiceRunner({ flavours: { threading: { maxWorkers: 4 } } });
 * const accepting = runner.accept();
 * const primes = await runner.execute((limit: number) => {
 *   const found: number[] = [];
 *   for (let n = 2; found.length < limit; n++) if (found.every((p) => n % p)) found.push(n);
 *   return found;
 * }, { flavour: threading, args: [1000] });
 * const thumb = await runner.execute({ module: new URL('./images.mjs', import.meta.url), export: 'thumbnail' },
 *   { flavour: threading, args: [bytes] });
 * await runner.shutdown();
 * await accepting;
 */
export const threading = defineFlavour<ThreadingTypes>({
  name: 'threading',
  version,
  kernel: '^0.1.0',
  validate: checkPayload,
  nameOf: payloadName,
  createRunner: (host) => new ThreadingRunner(host),
  /**
   * A service of the threading flavour names the module that exports its class:
   * `@service({ flavour: threading, module: import.meta.url, export: 'Crawler' })` (`export`
   * defaults to the class's name). A class cannot travel between threads; its module can. The
   * worker imports the module, makes an instance with `Object.create(Class.prototype)`,
   * assigns a structured clone of this instance's own enumerable properties and calls `run()`.
   *
   * @example
   * export const Crawler = service({ flavour: threading, module: import.meta.url })(
   *   class Crawler { constructor(url) { this.url = url; } async run() { await crawl(this.url); } },
   * );
   * new Crawler('https://example.org/');
   */
  bindService: (instance, options) => bindServicePayload(instance, options),
  /**
   * Checks a threading service's `module` and `export` when its class is decorated, so that
   * `@service({ flavour: threading })` without `module` throws its explanatory TypeError at
   * once rather than when the service starts. (A service that names its flavour as
   * `'threading'` is checked when it starts, once the flavour is loaded.)
   */
  checkServiceOptions: (options, target) => checkServiceOptions(options, target),
});

registerFlavour(threading);

declare module '@cobald/kernel' {
  interface KnownFlavours {
    threading: typeof threading;
  }
}
