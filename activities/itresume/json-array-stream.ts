// Streams the items of a top-level JSON array out of a byte stream, one item at a time, so a million
// records never sit in memory together. It only finds where each item starts and ends (tracking
// nesting and strings; multi-byte UTF-8 never contains ASCII quote or bracket bytes), then hands the
// item's text to the native JSON.parse — several times faster than a token-by-token parser.
// A top-level object instead of an array (IT Resume's `{"errors": ...}`) is returned whole.

export type StreamItem =
  | { kind: 'item'; value: unknown; raw: string }
  /** An item whose text is not valid JSON: kept, with the raw text, for the rejected table. */
  | { kind: 'bad-item'; raw: string; error: string }
  /** The body was a JSON object (an error reply), not an array. */
  | { kind: 'object'; value: unknown };

export class JsonStreamError extends Error {
  constructor(
    message: string,
    /** true when the body was cut short (a network problem worth retrying), false when it is malformed. */
    readonly truncated: boolean,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export interface SplitOptions {
  /** An item longer than this is an error (keeps memory bounded on a hostile body). Default 1 MiB. */
  maxItemBytes?: number;
  /** An object reply (the error shape) longer than this is cut. Default 1 MiB. */
  maxObjectBytes?: number;
}

function parseItem(raw: string): StreamItem {
  try {
    return { kind: 'item', value: JSON.parse(raw) as unknown, raw };
  } catch (err) {
    return { kind: 'bad-item', raw, error: (err as Error).message };
  }
}

export async function* splitJsonArray(
  source: AsyncIterable<Uint8Array>,
  options: SplitOptions = {},
): AsyncGenerator<StreamItem> {
  const maxItem = options.maxItemBytes ?? 1 << 20;
  const maxObject = options.maxObjectBytes ?? 1 << 20;
  let state: 'start' | 'array' | 'object' | 'done' = 'start';
  let carry: Buffer = Buffer.alloc(0);
  let depth = 0; // nesting inside the current item
  let inString = false;
  let escaped = false;
  let itemStart = -1; // offset of the current item in `buf`, -1 between items
  let resumeAt = 0; // bytes of `carry` already scanned
  const objectParts: Buffer[] = [];
  let objectBytes = 0;

  for await (const chunk of source) {
    const buf = carry.length
      ? Buffer.concat([carry, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let i = state === 'array' ? resumeAt : 0;
    resumeAt = 0;
    if (state === 'start') {
      while (i < buf.length && isSpace(buf[i]!)) i++;
      if (i === buf.length) {
        carry = Buffer.alloc(0);
        continue;
      }
      if (buf[i] === OPEN_BRACKET) {
        state = 'array';
        i++;
      } else if (buf[i] === OPEN_BRACE) {
        state = 'object';
      } else {
        throw new JsonStreamError(
          `response is not a JSON array (starts with ${JSON.stringify(String.fromCharCode(buf[i]!))})`,
          false,
        );
      }
    }
    if (state === 'object') {
      objectParts.push(buf.subarray(i));
      objectBytes += buf.length - i;
      carry = Buffer.alloc(0);
      if (objectBytes > maxObject) break;
      continue;
    }
    if (state === 'done') {
      for (; i < buf.length; i++) {
        if (!isSpace(buf[i]!)) throw new JsonStreamError('trailing data after the JSON array', false);
      }
      carry = Buffer.alloc(0);
      continue;
    }
    for (; i < buf.length; i++) {
      const b = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        continue;
      }
      if (itemStart < 0) {
        // Between items: skip separators, find where the next item starts or the array ends.
        if (isSpace(b) || b === COMMA) continue;
        if (b === CLOSE_BRACKET) {
          state = 'done';
          i++;
          break;
        }
        itemStart = i;
      }
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (depth === 0) {
          // A scalar item ended by the array's closing bracket.
          yield parseItem(buf.toString('utf8', itemStart, i).trim());
          itemStart = -1;
          state = 'done';
          i++;
          break;
        }
        depth--;
        if (depth === 0) {
          yield parseItem(buf.toString('utf8', itemStart, i + 1));
          itemStart = -1;
        }
      } else if (depth === 0 && b === COMMA) {
        yield parseItem(buf.toString('utf8', itemStart, i).trim());
        itemStart = -1;
      }
    }
    if (state === 'done') {
      for (; i < buf.length; i++) {
        if (!isSpace(buf[i]!)) throw new JsonStreamError('trailing data after the JSON array', false);
      }
      carry = Buffer.alloc(0);
    } else if (itemStart >= 0) {
      carry = buf.subarray(itemStart);
      itemStart = 0;
      resumeAt = carry.length;
      if (carry.length > maxItem) throw new JsonStreamError(`an item is larger than ${maxItem} bytes`, false);
    } else {
      carry = Buffer.alloc(0);
    }
  }

  if (state === 'object') {
    const text = Buffer.concat(objectParts).toString('utf8');
    try {
      yield { kind: 'object', value: JSON.parse(text) as unknown };
    } catch {
      yield { kind: 'object', value: { errors: `unparseable reply: ${text.slice(0, 300)}` } };
    }
    return;
  }
  if (state === 'start') throw new JsonStreamError('empty response body', true);
  if (state !== 'done') throw new JsonStreamError('response ended before the JSON array closed', true);
}
