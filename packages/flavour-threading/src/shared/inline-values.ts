/**
 * Small values written straight into shared memory (a {@link Mailbox} slot), so that the
 * arguments and results of most runs cross between threads without a structured clone:
 * `undefined`, `null`, booleans, numbers and short strings. Anything else travels on the port.
 *
 * Each value is a tag word and its data: an int32 in one word, a float64 in two, a string as its
 * length and its UTF-16 code units, two per word.
 */

const tagUndefined = 0;
const tagNull = 1;
const tagFalse = 2;
const tagTrue = 3;
const tagInt = 4;
const tagDouble = 5;
const tagString = 6;

const double = new Float64Array(1);
const doubleWords = new Int32Array(double.buffer);

/** Where the last {@link readInline} ended: the index of the next word. */
let readEnd = 0;

/**
 * Write `value` at `words[at]`, within `words[end - 1]`; the index after it, or -1 if it is not
 * a small value or does not fit (the words written so far are then garbage).
 *
 * @example
 * const next = writeInline(words, 10, 40, 'ok'); // 13
 */
export function writeInline(words: Int32Array, at: number, end: number, value: unknown): number {
  if (at >= end) return -1;
  switch (typeof value) {
    case 'number':
      if ((value | 0) === value && !Object.is(value, -0)) {
        if (at + 2 > end) return -1;
        words[at] = tagInt;
        words[at + 1] = value;
        return at + 2;
      }
      if (at + 3 > end) return -1;
      double[0] = value;
      words[at] = tagDouble;
      words[at + 1] = doubleWords[0]!;
      words[at + 2] = doubleWords[1]!;
      return at + 3;
    case 'string': {
      const length = value.length;
      const next = at + 2 + ((length + 1) >> 1);
      if (next > end) return -1;
      words[at] = tagString;
      words[at + 1] = length;
      for (let i = 0, w = at + 2; i < length; i += 2, w++) {
        words[w] = value.charCodeAt(i) | (i + 1 < length ? value.charCodeAt(i + 1) << 16 : 0);
      }
      return next;
    }
    case 'boolean':
      words[at] = value ? tagTrue : tagFalse;
      return at + 1;
    case 'undefined':
      words[at] = tagUndefined;
      return at + 1;
    default:
      if (value !== null) return -1;
      words[at] = tagNull;
      return at + 1;
  }
}

/**
 * The value that {@link writeInline} wrote at `words[at]`; {@link inlineEnd} then says where it ended.
 *
 * @example
 * const value = readInline(words, 10);
 * const next = inlineEnd();
 */
export function readInline(words: Int32Array, at: number): unknown {
  switch (words[at]) {
    case tagInt:
      readEnd = at + 2;
      return words[at + 1];
    case tagDouble:
      doubleWords[0] = words[at + 1]!;
      doubleWords[1] = words[at + 2]!;
      readEnd = at + 3;
      return double[0];
    case tagString: {
      const length = words[at + 1]!;
      let text = '';
      for (let i = 0, w = at + 2; i < length; i += 2, w++) {
        const pair = words[w]!;
        text += i + 1 < length ? String.fromCharCode(pair & 0xffff, pair >>> 16) : String.fromCharCode(pair & 0xffff);
      }
      readEnd = at + 2 + ((length + 1) >> 1);
      return text;
    }
    case tagTrue:
      readEnd = at + 1;
      return true;
    case tagFalse:
      readEnd = at + 1;
      return false;
    case tagNull:
      readEnd = at + 1;
      return null;
    default:
      readEnd = at + 1;
      return undefined;
  }
}

/** The index after the value the last {@link readInline} read. */
export function inlineEnd(): number {
  return readEnd;
}
