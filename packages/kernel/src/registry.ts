/**
 * The process-wide registry: flavours by name, services waiting for a runner, and the runner
 * that accepts. It lives on `globalThis` under a versioned `Symbol.for` key, so that an app
 * that ends up with two copies of the kernel still has one registry and one acceptor.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { IncompatibleFlavour, UnknownFlavour, packageOf } from './errors.js';
import { isFlavour, type Flavour } from './flavour.js';
import { kernelVersion } from './version.js';

/** What the registry needs of an accepting runner to hand it services. */
export interface Acceptor {
  startService(instance: object, options: ServiceRecord): void;
}

/** How a service instance is to run. */
export interface ServiceRecord {
  /** A flavour, or a name resolved when the service starts. */
  readonly flavour: Flavour | string;
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

interface ProcessRegistry {
  readonly flavours: Map<string, Flavour>;
  /** Services made while no runner accepted, held weakly: a collected one never runs. */
  readonly waiting: Set<WeakRef<object>>;
  readonly services: WeakMap<object, ServiceRecord>;
  /** Flavours whose kernel range was checked against this kernel. */
  readonly compatible: WeakSet<Flavour>;
  acceptor: Acceptor | undefined;
}

const key = Symbol.for('@cobald/kernel/registry@1');
const slot = globalThis as { [key]?: ProcessRegistry };
const registry: ProcessRegistry = (slot[key] ??= {
  flavours: new Map(),
  waiting: new Set(),
  services: new WeakMap(),
  compatible: new WeakSet(),
  acceptor: undefined,
});

/**
 * Register a flavour under its name, so that `{ flavour: 'name' }` finds it. Flavour packages
 * do this when they are imported. Registering the same flavour again does nothing; another
 * flavour under a taken name is refused.
 *
 * @example
 * registerFlavour(myFlavour);
 * runtime.adopt(payload, { flavour: myFlavour.name });
 */
export function registerFlavour(flavour: Flavour): void {
  if (!isFlavour(flavour)) {
    throw new TypeError('registerFlavour() takes a flavour made with defineFlavour()');
  }
  checkCompatible(flavour);
  const known = registry.flavours.get(flavour.name);
  if (known === flavour) return;
  if (known) {
    throw new Error(
      `flavour name '${flavour.name}' is taken by another flavour (version ${known.version}); ` +
        `two packages may not register the same name`,
    );
  }
  registry.flavours.set(flavour.name, flavour);
}

/** The flavour registered under `name`, if any. */
export function registeredFlavour(name: string): Flavour | undefined {
  return registry.flavours.get(name);
}

/** The registered flavours' names. */
export function registeredFlavours(): string[] {
  return [...registry.flavours.keys()];
}

/**
 * The flavour that `ref` is, or the registered flavour it names. Returns the name itself when
 * no flavour of that name is registered yet: {@link loadFlavour} may still find its package.
 * Throws a `TypeError` for anything else.
 */
export function resolveFlavour(ref: unknown): Flavour | string {
  if (typeof ref === 'string' && ref !== '') return registry.flavours.get(ref) ?? ref;
  if (isFlavour(ref)) {
    checkCompatible(ref);
    return ref;
  }
  throw new TypeError(
    `'flavour' must be a flavour object (such as asyncio from '@cobald/flavour-asyncio') or the ` +
      `name of a registered flavour, got ${ref === undefined ? 'nothing' : typeof ref}`,
  );
}

/**
 * The flavour registered under `name`, importing its package by the naming convention
 * ({@link packageOf}) when none is registered yet. The package is looked up from the kernel
 * and then from the app's working directory; no `node_modules` folder is scanned.
 *
 * @throws UnknownFlavour when the package is not installed, naming the package to install.
 *
 * @example
 * const trio = await loadFlavour('trio'); // imports @cobald/flavour-trio, which registers itself
 */
export async function loadFlavour(name: string): Promise<Flavour> {
  const known = registry.flavours.get(name);
  if (known) return known;
  const pkg = packageOf(name);
  try {
    await import(pkg);
  } catch (error) {
    if (!isNotFound(error, pkg)) throw error;
    const fromApp = resolveFromApp(pkg);
    if (!fromApp) throw new UnknownFlavour(name, registeredFlavours());
    await import(pathToFileURL(fromApp).href);
  }
  const flavour = registry.flavours.get(name);
  if (!flavour) {
    throw new Error(`package '${pkg}' was imported but registered no flavour named '${name}'`);
  }
  return flavour;
}

/** Claim the process's acceptor slot; returns the current holder when it is taken. */
export function claimAcceptor(acceptor: Acceptor): Acceptor | undefined {
  if (registry.acceptor) return registry.acceptor;
  registry.acceptor = acceptor;
  return undefined;
}

export function releaseAcceptor(acceptor: Acceptor): void {
  if (registry.acceptor === acceptor) registry.acceptor = undefined;
}

/** Record a new service instance: start it now if a runner accepts, or when one does. */
export function enrolService(instance: object, record: ServiceRecord): void {
  if (registry.services.has(instance)) return;
  registry.services.set(instance, record);
  if (registry.acceptor) registry.acceptor.startService(instance, record);
  else registry.waiting.add(new WeakRef(instance));
}

/** Hand every waiting service that is still alive to the acceptor, each once. */
export function startWaitingServices(acceptor: Acceptor): void {
  const alive = [...registry.waiting];
  registry.waiting.clear();
  for (const ref of alive) {
    const instance = ref.deref();
    const record = instance && registry.services.get(instance);
    if (instance && record) acceptor.startService(instance, record);
  }
}

function checkCompatible(flavour: Flavour): void {
  if (registry.compatible.has(flavour)) return;
  if (!semver.satisfies(kernelVersion, flavour.kernel, { includePrerelease: true })) {
    throw new IncompatibleFlavour(flavour.name, flavour.version, flavour.kernel, kernelVersion);
  }
  registry.compatible.add(flavour);
}

// Only the flavour package itself missing: a dependency missing inside it is its own error.
function isNotFound(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${pkg}'`);
}

function resolveFromApp(pkg: string): string | undefined {
  try {
    return createRequire(join(process.cwd(), 'package.json')).resolve(pkg);
  } catch {
    return undefined;
  }
}
