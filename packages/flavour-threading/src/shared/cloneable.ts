/** Whether a value can travel between threads: both sides ask before they send. */

/**
 * Whether `value` survives a structured clone (to another thread).
 *
 * @example
 * cloneable({ a: 1 }); // true
 * cloneable(() => 1); // false
 */
export function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
