/**
 * `supervisor()`: the description of a supervisor in a supervision tree, checked once when it is
 * made. A spec is inert data; `adopt()` runs it (see supervisor.ts).
 */
import type { Flavour, KnownFlavours } from './flavour.js';
import { resolveFlavour } from './registry.js';
import { restartPolicy, type RestartMode, type RestartPolicy, type SupervisionOptions } from './supervision-options.js';

/**
 * Who restarts with a child that ends and is to be restarted (OTP's strategies):
 * - `'one-for-one'`: only that child;
 * - `'one-for-all'`: every running child;
 * - `'rest-for-one'`: that child and the running children listed after it (the ones that
 *   depend on it).
 */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/**
 * When the ending of `significant` children ends the supervisor (OTP's automatic shutdown):
 * never; once any of them ended normally; once all of them did.
 */
export type AutoShutdown = 'never' | 'any-significant' | 'all-significant';

/** A payload run as a child of a supervisor: `adopt()`'s options, the payload and `significant`. */
export interface ChildSpec {
  /** The payload, as its flavour takes it; or a `supervisor(…)`, to give a nested supervisor a restart policy. */
  readonly payload: unknown;
  /** The flavour: the object a flavour package exports, or a registered name. Not for a nested supervisor. */
  readonly flavour?: Flavour | keyof KnownFlavours | (string & {});
  /** The payload's arguments. */
  readonly args?: readonly unknown[];
  /** The child's name, unique among its siblings; by default the payload's own name. */
  readonly name?: string;
  /** When this child is restarted after it ended. Default `'never'`: its failure fails the supervisor. */
  readonly restart?: RestartMode;
  /** The wait before it runs again, as in `adopt()`. */
  readonly backoff?: SupervisionOptions['backoff'];
  /** Milliseconds it gets to stop, instead of the runner's grace period. */
  readonly shutdownTimeout?: number;
  /** Whether its normal end counts for the supervisor's `autoShutdown`. Default false. */
  readonly significant?: boolean;
}

/** What `supervisor()` takes. */
export interface SupervisorOptions {
  /** The supervisor's name, for the tree, logs and errors. Default `'supervisor'`. */
  readonly name?: string;
  /** Who restarts with a child. Default `'one-for-one'`. */
  readonly strategy?: Strategy;
  /**
   * The supervisor's budget for all its children's restarts: one more than `restarts` within
   * `within` milliseconds fails the supervisor with `RestartIntensityExceeded`. Default 3 within 5000.
   */
  readonly intensity?: { readonly restarts: number; readonly within: number };
  /** Whether significant children ending ends the supervisor. Default `'never'`. */
  readonly autoShutdown?: AutoShutdown;
  /** The children, started in this order and stopped in the reverse order. */
  readonly children: readonly (ChildSpec | SupervisorSpec)[];
}

const brand = Symbol.for('@cobald/kernel/supervisor');

/** The flavour name that supervisors show in the tree and in errors. */
export const supervisorFlavour = 'supervisor';

/** A child, checked and with every default filled in. */
export interface Child {
  readonly name: string;
  /** The payload, or the nested supervisor. */
  readonly payload: unknown;
  /** The flavour or its name; `undefined` for a nested supervisor. */
  readonly flavour: Flavour | string | undefined;
  readonly args: readonly unknown[];
  readonly restart: RestartMode;
  /** For restarted children: the backoff, with defaults. */
  readonly policy: RestartPolicy | undefined;
  readonly shutdownTimeout: number | undefined;
  readonly significant: boolean;
}

/**
 * A supervisor, as `supervisor()` makes it: pass it to `runner.adopt()` (without a flavour) or
 * list it among another supervisor's children.
 */
export interface SupervisorSpec {
  readonly [brand]: true;
  readonly name: string;
  readonly strategy: Strategy;
  readonly intensity: { readonly restarts: number; readonly within: number };
  readonly autoShutdown: AutoShutdown;
  readonly children: readonly Child[];
  /**
   * @internal How long its children take to stop, one after the other, when each takes its
   * whole time: `fixed` ms of their own `shutdownTimeout`s, plus `graces` grace periods for those
   * without one (nested supervisors counted through). Summed when it is made, so that nothing
   * walks a deep tree again.
   */
  readonly stopTime: { readonly fixed: number; readonly graces: number };
}

const strategies: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one'];
const autoShutdowns: readonly AutoShutdown[] = ['never', 'any-significant', 'all-significant'];
const childKeys = new Set(['payload', 'flavour', 'args', 'name', 'restart', 'backoff', 'shutdownTimeout', 'significant']);
const supervisorKeys = new Set(['name', 'strategy', 'intensity', 'autoShutdown', 'children']);

/**
 * Describe a supervisor: children that it starts in order, stops in reverse order, and restarts
 * by its `strategy` when one ends and its `restart` says so. A child that fails with
 * `restart: 'never'` (the default), or more restarts than `intensity` allows, fails the
 * supervisor, which its parent then handles like any failed payload.
 *
 * @throws TypeError naming the field, for anything the spec gets wrong.
 *
 * @example
 * import { runtime, supervisor } from '@cobald/kernel';
 * import { asyncio } from '@cobald/flavour-asyncio';
 *
 * runtime.adopt(supervisor({
 *   name: 'ingest',
 *   strategy: 'rest-for-one',
 *   children: [
 *     { name: 'db', payload: connect, flavour: asyncio, restart: 'always' },
 *     { name: 'consumer', payload: consume, flavour: asyncio, restart: 'on-failure' },
 *   ],
 * }), { restart: 'on-failure' });
 */
export function supervisor(options: SupervisorOptions): SupervisorSpec {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('supervisor() takes an object: { name, strategy?, intensity?, autoShutdown?, children }');
  }
  const { name = 'supervisor', strategy = 'one-for-one', autoShutdown = 'never', intensity, children } = options;
  if (typeof name !== 'string' || name === '') throw new TypeError(`supervisor(): 'name' must be a non-empty string, got ${String(name)}`);
  const where = `supervisor '${name}'`;
  for (const key of Object.keys(options)) {
    if (!supervisorKeys.has(key)) throw new TypeError(`${where}: unknown option '${key}' (known: ${[...supervisorKeys].join(', ')})`);
  }
  if (!strategies.includes(strategy)) {
    throw new TypeError(`${where}: 'strategy' must be one of ${quoted(strategies)}, got ${describe(strategy)}`);
  }
  if (!autoShutdowns.includes(autoShutdown)) {
    throw new TypeError(`${where}: 'autoShutdown' must be one of ${quoted(autoShutdowns)}, got ${describe(autoShutdown)}`);
  }
  if (intensity !== undefined) checked(where, () => restartPolicy({ restart: 'on-failure', intensity }));
  if (!Array.isArray(children)) throw new TypeError(`${where}: 'children' must be an array of child specs and supervisors`);
  const names = new Set<string>();
  const list = children.map((spec: unknown, index: number) => {
    const made = child(`${where}: children[${index}]`, spec);
    if (names.has(made.name)) {
      throw new TypeError(
        `${where}: children[${index}] has the 'name' '${made.name}' of an earlier child: give each child a distinct name`,
      );
    }
    names.add(made.name);
    return made;
  });
  let fixed = 0;
  let graces = 0;
  for (const made of list) {
    if (made.shutdownTimeout !== undefined) fixed += made.shutdownTimeout;
    else if (made.flavour === undefined) {
      const nested = (made.payload as SupervisorSpec).stopTime;
      fixed += nested.fixed;
      graces += nested.graces;
    } else graces++;
  }
  return Object.freeze({
    [brand]: true as const,
    stopTime: Object.freeze({ fixed, graces }),
    name,
    strategy,
    autoShutdown,
    intensity: Object.freeze({ restarts: intensity?.restarts ?? 3, within: intensity?.within ?? 5000 }),
    children: Object.freeze(list),
  });
}

/**
 * Whether `value` is a spec made by `supervisor()` of any copy of the kernel.
 *
 * @example
 * isSupervisorSpec(supervisor({ name: 'empty', children: [] })); // true
 */
export function isSupervisorSpec(value: unknown): value is SupervisorSpec {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

function child(where: string, spec: unknown): Child {
  if (isSupervisorSpec(spec)) return nestedSupervisor(spec, {});
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(`${where} must be a child spec { payload, flavour, … } or a supervisor(…), got ${describe(spec)}`);
  }
  const options = spec as ChildSpec;
  for (const key of Object.keys(options)) {
    if (!childKeys.has(key)) throw new TypeError(`${where}: unknown field '${key}' (known: ${[...childKeys].join(', ')})`);
  }
  if (!('payload' in options) || options.payload === undefined) throw new TypeError(`${where}: 'payload' is required`);
  const { payload, flavour: given, args = [], name, significant = false } = options;
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`${where}: 'name' must be a non-empty string, got ${describe(name)}`);
  }
  const at = name === undefined ? where : `${where} ('${name}')`;
  if (typeof significant !== 'boolean') throw new TypeError(`${at}: 'significant' must be a boolean, got ${describe(significant)}`);
  if (isSupervisorSpec(payload)) {
    if (given !== undefined) throw new TypeError(`${at}: a nested supervisor takes no 'flavour'`);
    if (options.args !== undefined) throw new TypeError(`${at}: a nested supervisor takes no 'args'`);
    return nestedSupervisor(payload, checkedSupervision(at, options), name, significant);
  }
  if (given === undefined) throw new TypeError(`${at}: 'flavour' is required (a flavour object or a registered name)`);
  const flavour = checked(at, () => resolveFlavour(given));
  if (typeof flavour !== 'string') checked(at, () => flavour.validate(payload), 'payload');
  if (!Array.isArray(args)) throw new TypeError(`${at}: 'args' must be an array, got ${describe(args)}`);
  const ownName = typeof flavour === 'string' ? undefined : flavour.nameOf?.(payload);
  return {
    name: name ?? ownName ?? ((typeof payload === 'function' && payload.name) || 'anonymous'),
    payload,
    flavour,
    args,
    significant,
    ...checkedSupervision(at, options),
  };
}

type Supervision = Pick<Child, 'restart' | 'policy' | 'shutdownTimeout'>;

function checkedSupervision(where: string, options: ChildSpec): Supervision {
  const { restart = 'never', backoff, shutdownTimeout, significant } = options;
  const own = checked(where, () => restartPolicy({ restart, backoff, shutdownTimeout }));
  // A child's policy has its own window, for its backoff; its supervisor's intensity is what
  // limits its restarts (see docs/supervision.md).
  const policy = own && { ...own, maxRestarts: Infinity };
  if (significant === true && restart === 'always') {
    throw new TypeError(`${where}: 'significant' needs a child that can end: one with restart 'never' or 'on-failure', not 'always'`);
  }
  return { restart, policy, shutdownTimeout };
}

function nestedSupervisor(spec: SupervisorSpec, supervision: Partial<Supervision>, name = spec.name, significant = false): Child {
  return {
    name,
    payload: spec,
    flavour: undefined,
    args: [],
    restart: supervision.restart ?? 'never',
    policy: supervision.policy,
    shutdownTimeout: supervision.shutdownTimeout,
    significant,
  };
}

/** `make()`, with its TypeError's message prefixed by where the mistake is. */
function checked<T>(where: string, make: () => T, field?: string): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const message = field === undefined ? error.message : `'${field}': ${error.message}`;
    throw new TypeError(`${where}: ${message}`, { cause: error });
  }
}

function quoted(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * How long a supervisor may take to stop when it has no `shutdownTimeout` of its own: its
 * children stop one after the other, each within its own time, so the sum of theirs, and one
 * more grace period as a margin (the children's own timers decide; this is a backstop). Node's
 * timers take at most 2^31-1 ms: beyond that waiting is waiting forever.
 */
export function stopBound(spec: SupervisorSpec, gracePeriod: number): number {
  const { fixed, graces } = spec.stopTime;
  return Math.min(fixed + (graces + 1) * gracePeriod, 2 ** 31 - 1);
}
