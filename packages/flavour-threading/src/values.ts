/** Describing and checking values that travel between threads. */
import { inspect } from 'node:util';

/** Whether `value` survives a structured clone (to another thread). */
export function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** A short description of `value` for an error message: its type and the start of its inspection. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') return `an object (${inspect(value, { depth: 0, breakLength: Infinity }).slice(0, 60)})`;
  return `${typeof value} ${inspect(value).slice(0, 60)}`;
}
