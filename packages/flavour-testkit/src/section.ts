/** The shape of one part of the contract, and what its checks are given. */
import { Check } from './check.js';
import type { ResolvedOptions } from './options.js';

/** What a section registers its checks with. */
export interface Kit {
  readonly options: ResolvedOptions;
  /**
   * Register one check: an `it` whose body gets a fresh {@link Check} (its own runner, with the
   * given grace period), disposed of afterwards whatever the outcome.
   */
  check(title: string, body: (check: Check) => Promise<void>, runner?: { readonly gracePeriod?: number }): void;
}

/** One part of the contract: a `describe` block of checks. */
export interface Section {
  readonly title: string;
  define(kit: Kit): void;
}

/** The message of an error, or the value as text: payloads may throw anything. */
export function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** The name of an error, read across realms (an error from a thread is rebuilt in this one). */
export function nameOf(error: unknown): string | undefined {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}
