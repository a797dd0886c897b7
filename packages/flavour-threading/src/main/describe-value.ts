/** Describing a value for an error message in the main thread. */
import { inspect } from 'node:util';

/**
 * A short description of `value` for an error message: its type and the start of its inspection.
 *
 * @example
 * describeValue(42); // 'number 42'
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') return `an object (${inspect(value, { depth: 0, breakLength: Infinity }).slice(0, 60)})`;
  return `${typeof value} ${inspect(value).slice(0, 60)}`;
}
