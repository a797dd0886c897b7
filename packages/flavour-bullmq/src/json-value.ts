/**
 * What may travel through Redis: values that survive `JSON.stringify` and `JSON.parse` unchanged.
 * A `Date`, a `Map`, `undefined` in an array or a class instance would arrive as something else,
 * so they are refused where they are made, with the path of the offending part.
 */

/** Where `value` is not plain JSON, as a path (`args[1].when`) and what was found there; `undefined` if it is. */
export function notJson(value: unknown, path: string, seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers to itself`;
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const found = notJson(value[i], `${path}[${i}]`, seen);
            if (found) return found;
          }
          return undefined;
        }
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          return `${path} is a ${(value.constructor as { name?: string } | undefined)?.name ?? 'class instance'}, not a plain object`;
        }
        for (const [key, item] of Object.entries(value)) {
          if (item === undefined) continue; // JSON drops it, and reading it back gives undefined again
          const found = notJson(item, `${path}.${key}`, seen);
          if (found) return found;
        }
        return undefined;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return `${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}, which JSON cannot hold`;
  }
}
