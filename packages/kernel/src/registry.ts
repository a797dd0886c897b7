/**
 * The process-wide registry: flavours by name, services waiting for a runner, and the runner
 * that accepts. It lives on `globalThis` under a versioned `Symbol.for` key, so that an app
 * that ends up with two copies of the kernel still has one registry and one acceptor.
 */
import { UnknownFlavour } from './errors.js';
import { isFlavour, type Flavour } from './flavour.js';

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
  acceptor: Acceptor | undefined;
}

const key = Symbol.for('@cobald/kernel/registry@1');
const slot = globalThis as { [key]?: ProcessRegistry };
const registry: ProcessRegistry = (slot[key] ??= {
  flavours: new Map(),
  waiting: new Set(),
  services: new WeakMap(),
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

/** The registered flavours' names. */
export function registeredFlavours(): string[] {
  return [...registry.flavours.keys()];
}

/** The flavour that `ref` names or is; throws an error that says what to do otherwise. */
export function resolveFlavour(ref: unknown): Flavour {
  if (typeof ref === 'string') {
    const flavour = registry.flavours.get(ref);
    if (!flavour) throw new UnknownFlavour(ref, registeredFlavours());
    return flavour;
  }
  if (isFlavour(ref)) return ref;
  throw new TypeError(
    `'flavour' must be a flavour object (such as asyncio from '@cobald/flavour-asyncio') or the ` +
      `name of a registered flavour, got ${ref === undefined ? 'nothing' : typeof ref}`,
  );
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
