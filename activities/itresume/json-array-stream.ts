// Streams the items of a top-level JSON array out of a byte stream, one network chunk at a time, so a
// million records never sit in memory together. Fast path: the chunk's run of whole objects (up to the
// last `}` followed by `,` or `]`) goes to ONE native JSON.parse as an array — no byte of it is looked
// at in JavaScript. That cut is only a guess (the `}` may sit inside a string or a nested object), but
// a wrong guess cannot parse (an unterminated string or unbalanced braces), so it falls back to the
// careful path: a byte scanner that tracks nesting and strings (multi-byte UTF-8 never contains ASCII
// quote or bracket bytes) and hands each item's text to JSON.parse on its own, keeping the raw text of
// an item that is not valid JSON.
// A top-level object instead of an array (IT Resume's `{"errors": ...}`) is returned whole.

export type StreamItem =
  /** `raw` is the item's text when the careful path read it; JSON.stringify(value) says the same. */
  | { kind: 'item'; value: unknown; raw?: string }
  /** An item whose text is not valid JSON: kept, with the raw text, for the rejected table. */
  | { kind: 'bad-item'; raw: string; error: string }
  /** An item longer than the limit: its first `limit` bytes (`head`) are kept, the rest is skipped. */
  | { kind: 'oversize-item'; head: string; bytes: number; limit: number }
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

interface SplitOptions {
  /**
   * An item longer than this is not held in memory (a hostile body cannot exhaust it): its first bytes
   * are kept as an oversize-item and the rest is skipped. Default 1 MiB.
   */
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

/**
 * The scanner's state between chunks. Kept out of the generator: V8 optimises a plain method's byte
 * loop far better than one inside an async generator.
 */
class Scanner {
  state: 'start' | 'array' | 'object' | 'done' = 'start';
  carry: Buffer = Buffer.alloc(0);
  depth = 0; // nesting inside the current item
  inString = false;
  escaped = false;
  resumeAt = 0; // bytes of `carry` already scanned
  objectParts: Buffer[] = [];
  /** The item in progress once it outgrew maxItem: its first maxItem bytes, and how long it is so far. */
  oversize: { head: Buffer; bytes: number } | undefined;
  objectBytes = 0;

  constructor(
    readonly maxItem: number,
    readonly maxObject: number,
  ) {}

  /** Scans one chunk; returns the items it completed. */
  push(chunk: Uint8Array): StreamItem[] {
    const out: StreamItem[] = [];
    const buf = this.carry.length
      ? Buffer.concat([this.carry, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let i = this.state === 'array' ? this.resumeAt : 0;
    this.resumeAt = 0;
    this.carry = EMPTY;
    if (this.state === 'start') {
      while (i < buf.length && isSpace(buf[i]!)) i++;
      if (i === buf.length) return out;
      if (buf[i] === OPEN_BRACKET) {
        this.state = 'array';
        i++;
      } else if (buf[i] === OPEN_BRACE) {
        this.state = 'object';
      } else {
        throw new JsonStreamError(
          `response is not a JSON array (starts with ${JSON.stringify(String.fromCharCode(buf[i]!))})`,
          false,
        );
      }
    }
    if (this.state === 'object') {
      if (this.objectBytes <= this.maxObject) {
        this.objectParts.push(Buffer.from(buf.subarray(i)));
        this.objectBytes += buf.length - i;
      }
      return out;
    }
    if (this.state === 'array') {
      // The item carried over from the last chunk is finished by the careful scan, then the fast path
      // takes the whole objects that follow, and the careful scan the rest (the item the chunk cuts).
      if (this.carryStart >= 0) i = this.scan(buf, i, out, true);
      if (this.state === 'array' && this.carryStart < 0 && i < buf.length) {
        i = this.wholeObjects(buf, i, out);
        i = this.scan(buf, i, out, false);
      }
    }
    if (this.state === 'done') {
      for (; i < buf.length; i++) {
        if (!isSpace(buf[i]!)) throw new JsonStreamError('trailing data after the JSON array', false);
      }
    }
    return out;
  }

  /**
   * The fast path, between items at `from`: parses the run of whole objects up to the last `}` that a
   * `,` or `]` follows in one JSON.parse. Returns where the careful scan goes on (`from` if it failed).
   */
  private wholeObjects(buf: Buffer, from: number, out: StreamItem[]): number {
    let start = from;
    while (start < buf.length && (isSpace(buf[start]!) || buf[start] === COMMA)) start++;
    if (buf[start] !== OPEN_BRACE) return from;
    const end = buf.lastIndexOf(CLOSE_BRACE);
    let next = end + 1;
    while (next < buf.length && isSpace(buf[next]!)) next++;
    if (end <= start || next >= buf.length || (buf[next] !== COMMA && buf[next] !== CLOSE_BRACKET)) return from;
    if (end + 1 - start > this.maxItem * 64) return from;
    let values: unknown;
    try {
      values = JSON.parse(`[${buf.toString('utf8', start, end + 1)}]`);
    } catch {
      return from;
    }
    for (const value of values as unknown[]) out.push({ kind: 'item', value });
    return next;
  }

  /** The careful path from `from`; with `oneItem`, it stops after the item in progress ends. */
  private scan(buf: Buffer, from: number, out: StreamItem[], oneItem: boolean): number {
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let itemStart = this.carryStart;
    const n = buf.length;
    let i = from;
    for (; i < n; i++) {
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
          this.state = 'done';
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
          out.push(this.itemEnding(buf, itemStart, i));
          itemStart = -1;
          this.state = 'done';
          i++;
          break;
        }
        depth--;
        if (depth === 0) {
          out.push(this.itemEnding(buf, itemStart, i + 1));
          itemStart = -1;
          if (oneItem) {
            i++;
            break;
          }
        }
      } else if (depth === 0 && b === COMMA) {
        out.push(this.itemEnding(buf, itemStart, i));
        itemStart = -1;
        if (oneItem) {
          i++;
          break;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    if (this.state === 'array' && itemStart >= 0) this.carryOver(buf, itemStart);
    else this.carryStart = -1;
    return i;
  }

  /** The item that ends at `end` (exclusive); when oversize, it began in an earlier chunk. */
  private itemEnding(buf: Buffer, start: number, end: number): StreamItem {
    const over = this.oversize;
    if (!over) return parseItem(buf.toString('utf8', start, end).trim());
    this.oversize = undefined;
    return {
      kind: 'oversize-item',
      head: over.head.toString('utf8'),
      bytes: over.bytes + end - start,
      limit: this.maxItem,
    };
  }

  /** Keeps the unfinished item from `start` for the next chunk — or, past maxItem, only its head. */
  private carryOver(buf: Buffer, start: number) {
    this.carryStart = 0;
    if (!this.oversize && buf.length - start <= this.maxItem) {
      this.carry = buf.subarray(start);
      this.resumeAt = this.carry.length;
      return;
    }
    if (this.oversize) this.oversize.bytes += buf.length - start;
    else this.oversize = { head: Buffer.from(buf.subarray(start, start + this.maxItem)), bytes: buf.length - start };
    this.carry = EMPTY;
    this.resumeAt = 0;
  }

  carryStart = -1; // where the unfinished item starts in the next buffer (0) or -1 between items

  finish(): StreamItem[] {
    if (this.state === 'object') {
      const text = Buffer.concat(this.objectParts).toString('utf8');
      try {
        return [{ kind: 'object', value: JSON.parse(text) as unknown }];
      } catch {
        return [{ kind: 'object', value: { errors: `unparseable reply: ${text.slice(0, 300)}` } }];
      }
    }
    if (this.state === 'start') throw new JsonStreamError('empty response body', true);
    if (this.state !== 'done') throw new JsonStreamError('response ended before the JSON array closed', true);
    return [];
  }
}

const EMPTY = Buffer.alloc(0);

/** Yields the items of the array in batches (one per network chunk): fewer async steps per item. */
export async function* splitJsonArray(
  source: AsyncIterable<Uint8Array>,
  options: SplitOptions = {},
): AsyncGenerator<StreamItem[]> {
  const scanner = new Scanner(options.maxItemBytes ?? 1 << 20, options.maxObjectBytes ?? 1 << 20);
  for await (const chunk of source) {
    const items = scanner.push(chunk);
    if (items.length) yield items;
  }
  const last = scanner.finish();
  if (last.length) yield last;
}
