/**
 * The options of one call that runs a payload: `execute()` takes {@link RunOptions}, `adopt()`
 * {@link AdoptOptions}, and `adopt(supervisor(…))` {@link SupervisorAdoptOptions}.
 */
import type { SupervisionOptions } from './supervision-options.js';

/** How to run one payload. */
export interface RunOptions<F, Args> {
  /** The flavour: the object a flavour package exports, or a registered flavour's name. */
  readonly flavour: F;
  /** The payload's arguments. */
  readonly args?: Args;
  /** A name for logs and errors; by default the payload's own name. */
  readonly name?: string;
}

/** How to adopt one payload: {@link RunOptions} and how to supervise it. */
export type AdoptOptions<F, Args> = RunOptions<F, Args> & SupervisionOptions;

/** How to adopt a supervisor made by `supervisor()`: no flavour, its own name by default. */
export type SupervisorAdoptOptions = SupervisionOptions & { readonly name?: string };
