/**
 * Requests to run a payload: what `adopt()`, `execute()` and services hand the runner, checked
 * once at the door (options, arguments, flavour, the payload itself) and given their id and name.
 */
import type { Flavour } from './flavour.js';
import { loadFlavour, resolveFlavour, type ServiceRecord } from './registry.js';
import type { AdoptOptions } from './run-options.js';
import { nextPayloadId } from './node.js';
import { restartPolicy, type RestartPolicy, type SupervisionOptions } from './supervision-options.js';
import { isSupervisorSpec, supervisorFlavour, type SupervisorSpec } from './supervisor-spec.js';

/** One payload to run: checked, named and numbered, waiting in the queue or about to launch. */
export interface PayloadRequest {
  readonly id: number;
  readonly policy?: RestartPolicy | undefined;
  readonly shutdownTimeout?: number | undefined;
  /** The flavour, or the name of one whose package is imported when the payload starts. */
  flavour: Flavour | string;
  payload: unknown;
  /** For a service: its record and instance, bound to its flavour once that is loaded. */
  readonly service?: ServiceRecord & { readonly instance: object };
  readonly args: readonly unknown[];
  readonly name: string;
  /** For a supervisor: its spec (the flavour is then `'supervisor'`). */
  readonly tree?: SupervisorSpec;
}

/** The request's flavour, loading it by name first if needed; its payload is validated (or its service bound) then. */
export async function loadedFlavour(item: PayloadRequest): Promise<Flavour> {
  if (typeof item.flavour !== 'string') return item.flavour;
  const flavour = await loadFlavour(item.flavour);
  if (item.service) item.payload = bindService(flavour, item.service.instance, item.service);
  else flavour.validate(item.payload);
  item.flavour = flavour;
  return flavour;
}

/**
 * Check what `adopt()`/`execute()` were given and make the request, or throw a `TypeError`
 * that says what is wrong. `supervised` adds the supervision options of `adopt()`.
 */
export function request(payload: unknown, options: AdoptOptions<unknown, unknown> | undefined, supervised = false): PayloadRequest {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('the options are required and must be an object: { flavour, args?, name? }');
  }
  if (isSupervisorSpec(payload))
    throw new TypeError('a supervisor is adopted, not executed: runner.adopt(supervisor({ … }), { restart? })');
  checkKeys(options, supervised ? adoptKeys : executeKeys, supervised ? 'adopt()' : 'execute()');
  const flavour = resolveFlavour(options.flavour);
  if (typeof flavour !== 'string') flavour.validate(payload);
  const { args = [], name } = options;
  if (!Array.isArray(args)) throw new TypeError(`'args' must be an array, got ${typeof args}`);
  if (name !== undefined && typeof name !== 'string') throw new TypeError(`'name' must be a string, got ${typeof name}`);
  const ownName = typeof flavour === 'string' ? undefined : flavour.nameOf?.(payload);
  const item: PayloadRequest = { id: nextPayloadId(), flavour, payload, args, name: name ?? ownName ?? functionName(payload) };
  const { restart, intensity, backoff, shutdownTimeout } = options;
  // Most adopts set no supervision option: they skip parsing them.
  if (!supervised || (restart === undefined && intensity === undefined && backoff === undefined && shutdownTimeout === undefined)) {
    return item;
  }
  return { ...item, policy: restartPolicy(options), shutdownTimeout };
}

/** The request that runs a supervisor made by `supervisor()`; `options` are `adopt()`'s, without a flavour. */
export function supervisorRequest(
  spec: SupervisorSpec,
  options: SupervisionOptions & { readonly name?: string; readonly flavour?: unknown } = {},
): PayloadRequest {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('the options of a supervisor must be an object: { restart?, intensity?, backoff?, shutdownTimeout? }');
  if (options.flavour !== undefined)
    throw new TypeError(`supervisor '${spec.name}' is adopted without a 'flavour': its children have theirs`);
  checkKeys(options, supervisorKeys, `adopt() of supervisor '${spec.name}'`);
  const { name = spec.name } = options;
  if (typeof name !== 'string') throw new TypeError(`'name' must be a string, got ${typeof name}`);
  return {
    id: nextPayloadId(),
    flavour: supervisorFlavour,
    payload: spec,
    args: [],
    name,
    tree: spec,
    policy: restartPolicy(options),
    shutdownTimeout: options.shutdownTimeout,
  };
}

/** The request that runs a service instance's `run()`. */
export function serviceRequest(instance: object, record: ServiceRecord): PayloadRequest {
  const flavour = resolveFlavour(record.flavour);
  const { shutdownTimeout } = record.options as SupervisionOptions;
  return {
    id: nextPayloadId(),
    flavour,
    // A flavour given by name is bound once its package has loaded: see loadedFlavour().
    payload: typeof flavour === 'string' ? undefined : bindService(flavour, instance, record),
    args: [],
    name: record.name,
    service: { ...record, instance },
    policy: restartPolicy(record.options),
    shutdownTimeout,
  };
}

/** The payload that runs a service instance's `run()` in its flavour. */
function bindService(flavour: Flavour, instance: object, record: ServiceRecord): unknown {
  const service = instance as { run(): unknown };
  return flavour.bindService ? flavour.bindService(service, { ...record.options, flavour }) : () => service.run();
}

const executeKeys: ReadonlySet<string> = new Set(['flavour', 'args', 'name']);
const supervisionKeys = ['restart', 'intensity', 'backoff', 'shutdownTimeout'];
const adoptKeys: ReadonlySet<string> = new Set([...executeKeys, ...supervisionKeys]);
const supervisorKeys: ReadonlySet<string> = new Set(['name', ...supervisionKeys]);

/**
 * Refuse an option that `method` does not know: a misspelt `restrat: 'on-failure'` would
 * otherwise leave a payload meant to restart fatal on its first failure.
 */
export function checkKeys(options: object, known: ReadonlySet<string>, method: string): void {
  for (const key in options) {
    if (!known.has(key)) {
      throw new TypeError(`${method} has no option '${key}': it takes ${[...known].map((k) => `'${k}'`).join(', ')}`);
    }
  }
}

function functionName(payload: unknown): string {
  return (typeof payload === 'function' && payload.name) || 'anonymous';
}
