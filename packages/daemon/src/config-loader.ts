/**
 * Loading the configuration module that `cobald run` is given, and the kernel it uses.
 *
 * A configuration is an ES module or a CommonJS module (TypeScript too, through tsx). Loading
 * it creates services and adopts payloads on the kernel's `runtime`; it may also export a
 * default function `(runtime, { logger }) => void | Promise<void>`, called before the daemon
 * accepts.
 * The kernel is the one the configuration itself imports, found from the configuration's
 * folder, so that the daemon accepts on the very `runtime` the configuration adopted on.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Kernel from '@cobald/kernel';
import type { Logger as PinoLogger } from 'pino';
import { describe } from './describe.js';

/** The kernel's module, as the configuration sees it. */
export type KernelModule = typeof Kernel;

/** What the daemon gives a configuration's default function beside the runtime. */
export interface ConfigContext {
  /** The daemon's pino logger, for the configuration's own records. */
  readonly logger: PinoLogger;
  /**
   * Aborted when the daemon must stop before it accepts: SIGINT or SIGTERM, `--start-timeout`
   * passed, or an error escaped the configuration. Pass it to what the function awaits (a
   * connection, a fetch) and stop; the daemon waits for that within its grace period.
   */
  readonly signal: AbortSignal;
}

/**
 * The optional default export of a configuration module, called before the daemon accepts.
 *
 * @example
 * export default async function configure(runtime, { logger, signal }) {
 *   logger.info('configuring');
 *   const settings = await fetchSettings({ signal });
 *   runtime.adopt(poll, { flavour: asyncio, args: [settings] });
 * }
 */
export type ConfigSetup = (runtime: Kernel.ServiceRunner, context: ConfigContext) => void | Promise<void>;

/** A loaded configuration module. */
export interface LoadedConfig {
  /** Its absolute path. */
  readonly path: string;
  /** Its default export, if it is a function; call it before accepting. */
  readonly setup: ConfigSetup | undefined;
}

/** The configuration cannot be found, loaded or set up. The CLI exits with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const typescript = new Set(['.ts', '.mts', '.cts']);

/**
 * Import the configuration module at `file` (relative to `cwd`). TypeScript files are
 * loaded through tsx when the app has it installed, or natively where Node.js strips types.
 *
 * @throws ConfigError when the file is missing, cannot be compiled, or throws while loading.
 *
 * @example
 * const config = await loadConfig('./config.mjs');
 * await config.setup?.(runtime);
 */
export async function loadConfig(file: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const path = resolve(cwd, file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigError(`configuration file not found: ${path}`);
  }
  if (typescript.has(extname(path))) await enableTypeScript(path, cwd);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`cannot load configuration ${path}: ${describe(error)}`, { cause: error });
  }
  return { path, setup: setupOf(module, path) };
}

/**
 * Call the configuration's default function with the runtime and the daemon's logger.
 *
 * @throws ConfigError wrapping whatever it throws or rejects with.
 */
export async function runSetup(config: LoadedConfig, runtime: Kernel.ServiceRunner, context: ConfigContext): Promise<void> {
  if (!config.setup) return;
  try {
    await config.setup(runtime, context);
  } catch (error) {
    throw new ConfigError(`the default export of configuration ${config.path} failed: ${describe(error)}`, {
      cause: error,
    });
  }
}

/**
 * The `@cobald/kernel` that the configuration at `path` imports; the daemon's own kernel if
 * the configuration's folder has none.
 */
export async function loadKernel(path: string): Promise<KernelModule> {
  for (const base of [path, import.meta.url]) {
    let entry: string;
    try {
      entry = createRequire(base).resolve('@cobald/kernel');
    } catch {
      continue;
    }
    return (await import(pathToFileURL(entry).href)) as KernelModule;
  }
  throw new ConfigError(`@cobald/kernel is not installed beside the configuration ${path} (npm install @cobald/kernel)`);
}

/** The default export when it is a function, also through CommonJS's `exports.default`. */
function setupOf(module: Record<string, unknown>, path: string): ConfigSetup | undefined {
  let setup = module.default;
  if (typeof setup !== 'function' && typeof setup === 'object' && setup !== null) {
    setup = (setup as { default?: unknown }).default;
  }
  if (typeof setup !== 'function') return undefined;
  if (/^class\b/.test(Function.prototype.toString.call(setup))) {
    throw new ConfigError(
      `the default export of configuration ${path} is a class; export a function (runtime) => { … } ` +
        'or create the service instance in the module',
    );
  }
  return setup as ConfigSetup;
}

/** Make `import()` of a TypeScript file work, or explain what to install. */
async function enableTypeScript(path: string, cwd: string): Promise<void> {
  const bases = [path, resolve(cwd, 'package.json')];
  const esm = resolveImport('tsx', './esm/api', bases);
  if (esm) {
    const cjs = resolveImport('tsx', './cjs/api', bases);
    for (const api of cjs ? [esm, cjs] : [esm]) {
      const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
      register();
    }
    return;
  }
  // Node.js 22.18 and later strip types themselves.
  if ((process.features as { typescript?: unknown }).typescript) return;
  throw new ConfigError(`cannot load ${basename(path)}: install tsx (npm install -D tsx) or compile it to JavaScript`);
}

/**
 * The file that `import('<pkg>/<subpath>')` loads, resolved from the first of `bases` that has
 * the package. `require.resolve` would give the CommonJS build (the `require` condition), which
 * for tsx's ESM API is not the same thing, so the package's `exports` are read here with the
 * `import` condition.
 */
function resolveImport(pkg: string, subpath: string, bases: readonly string[]): string | undefined {
  for (const base of bases) {
    let manifest: string;
    try {
      manifest = createRequire(base).resolve(`${pkg}/package.json`);
    } catch {
      continue;
    }
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> };
    const target = exports && importTarget(exports[subpath]);
    return target ? resolve(dirname(manifest), target) : undefined;
  }
  return undefined;
}

function importTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return undefined;
  for (const condition of ['node', 'import', 'default']) {
    const target = importTarget((entry as Record<string, unknown>)[condition]);
    if (target) return target;
  }
  return undefined;
}
