/**
 * The `@service` class decorator: every instance of a decorated class is a service, whose
 * `run()` the accepting runner adopts. Instances are held weakly until a runner accepts, so a
 * service that was garbage-collected before then never runs; each runs once.
 */
import { isFlavour, type ServiceOptions } from './flavour.js';
import { enrolService, type ServiceRecord } from './registry.js';
import { restartPolicy } from './supervision-options.js';

/** A class whose instances have a `run()`: a method, or a field that holds a function. */
export type ServiceClass = abstract new (...args: any[]) => { run(): unknown };

const pending = new WeakMap<object, ServiceRecord>();

/**
 * Make every instance of the decorated class a service: its `run()` is adopted with the given
 * flavour once a runner accepts, or at once if one already does. Like any adopted payload,
 * `run()` must not return a value or fail. Works with TypeScript's standard decorators, with
 * `experimentalDecorators`, and as a plain call from JavaScript.
 *
 * The instance enrols once its constructor has finished, so subclass fields are set when
 * `run()` starts; a decorated subclass of a decorated class runs with the subclass's options.
 *
 * @example
 * import { service, runtime } from '@cobald/kernel';
 * import { asyncio } from '@cobald/flavour-asyncio';
 *
 * @service({ flavour: asyncio })
 * class Heartbeat {
 *   async run() {
 *     for await (const _ of setInterval(1000, undefined, { signal: currentSignal() })) console.log('beat');
 *   }
 * }
 * new Heartbeat();
 * await runtime.accept();
 *
 * // in JavaScript, without decorator syntax:
 * const Plain = service({ flavour: 'asyncio' })(class { async run() {} });
 */
export function service(options: ServiceOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('@service() takes its options: @service({ flavour })');
  }
  if (typeof options.flavour !== 'string' && !isFlavour(options.flavour)) {
    throw new TypeError("@service() needs a 'flavour': a flavour object or the name of a registered flavour");
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`@service(): 'name' must be a string, got ${typeof options.name}`);
  }
  restartPolicy(options);
  return function decorate<C extends ServiceClass>(target: C, _context?: ClassDecoratorContext<C>): C {
    if (typeof target !== 'function' || typeof target.prototype !== 'object') {
      throw new TypeError('@service() decorates a class that has a run() method');
    }
    if (typeof options.flavour !== 'string') options.flavour.checkServiceOptions?.(options, target);
    const { flavour, name, ...rest } = options;
    const record: ServiceRecord = { flavour, name: name ?? `${target.name || 'anonymous'}.run`, options: rest };
    const Base = target as unknown as new (...args: any[]) => object;
    const Service = class extends Base {
      constructor(...args: any[]) {
        super(...args);
        // Checked on the instance: `run = async () => {…}` is a class field, not on the prototype.
        if (typeof (this as { run?: unknown }).run !== 'function') {
          throw new TypeError(
            `@service() class ${target.name || 'anonymous'} has no run(): give it a run() method, or a run field that holds a function`,
          );
        }
        enrolWhenBuilt(this, record);
      }
    };
    Object.defineProperty(Service, 'name', { value: target.name });
    return Service as unknown as C;
  };
}

function enrolWhenBuilt(instance: object, record: ServiceRecord): void {
  const scheduled = pending.has(instance);
  // The constructor of the most derived decorated class runs last: its options win.
  pending.set(instance, record);
  if (scheduled) return;
  queueMicrotask(() => {
    const latest = pending.get(instance);
    pending.delete(instance);
    if (latest) enrolService(instance, latest);
  });
}
