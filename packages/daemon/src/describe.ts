/**
 * A line that says what was thrown, whatever it is: configurations and payloads can throw
 * values that `String()` cannot convert (a null-prototype object, one whose `toString` throws),
 * and the daemon's report of a failure must not fail itself.
 */
import { inspect } from 'node:util';

/**
 * `Name: message` for an error, else the value shown by `util.inspect`, at most 200 characters.
 *
 * @example
 * describe(new TypeError('bad')); // 'TypeError: bad'
 * describe(Object.create(null)); // '[Object: null prototype] {}'
 */
export function describe(value: unknown): string {
  try {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
  } catch {
    // A name or message getter that throws, a proxy whose traps throw: shown as any other value.
  }
  if (typeof value === 'string') return value;
  let text: string;
  try {
    text = inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 100 });
  } catch {
    text = `${typeof value === 'object' ? 'an object' : `a ${typeof value}`} that cannot be shown`;
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
