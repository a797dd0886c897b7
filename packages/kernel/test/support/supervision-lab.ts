/**
 * A lab for supervision tests: children of a cancellable inline flavour whose every run is a
 * promise the test settles by name, and one list of what happened, in order: `start x` when a
 * run of child x begins, `cancel x` when the runtime stops it.
 */
import type { ChildSpec } from '@cobald/kernel';
import { deferred, inlineFlavour } from './inline-flavour.js';

export function supervisionLab(name = 'lab', options: { cancellable?: boolean | 'deaf' } = {}) {
  const events: string[] = [];
  const flavour = inlineFlavour({ name, cancellable: options.cancellable ?? true, events });
  const runs = new Map<string, ReturnType<typeof deferred<unknown>>[]>();
  const run = (child: string) => {
    const list = runs.get(child);
    const last = list?.at(-1);
    if (!last) throw new Error(`child ${child} has not run`);
    return last;
  };
  return {
    flavour,
    /** What the children did, in order: the runner's own lifecycle events left out. */
    get log(): string[] {
      return events.filter((event) => event.startsWith('start ') || event.startsWith('cancel '));
    },
    /** A child spec whose runs wait until the test settles them. */
    child(childName: string, extra: Omit<ChildSpec, 'payload' | 'flavour'> = {}): ChildSpec {
      return {
        name: childName,
        flavour,
        payload: () => {
          events.push(`start ${childName}`);
          const next = deferred<unknown>();
          runs.set(childName, [...(runs.get(childName) ?? []), next]);
          return next.promise;
        },
        ...extra,
      };
    },
    /** How many runs of `child` began. */
    runs: (child: string): number => runs.get(child)?.length ?? 0,
    /** End the current run of `child` with an error. */
    fail: (child: string, error: unknown = new Error(`${child} broke`)) => run(child).reject(error),
    /** End the current run of `child` with `value`. */
    end: (child: string, value?: unknown) => run(child).resolve(value),
  };
}

/** Wait for a few turns of the event loop: long enough for settled promises and 1 ms timers. */
export const turns = (ms = 15): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
