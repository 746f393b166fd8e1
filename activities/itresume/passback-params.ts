// A parser for `passback_params`, which IT Resume sends as the repr() of a Python dict
// ("{'oauth_consumer_key': '', 'lis_result_sourcedid': 'course-v1:...'}"). It is data from a remote
// service, so it is parsed as data — never eval'ed. Supported: dicts, lists, tuples, strings in single
// or double quotes with Python escapes (\n \t \\ \' \" \xNN \uNNNN \UNNNNNNNN), ints, floats, None,
// True, False. Anything else is a PythonLiteralError with the offset of the problem.

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class PythonLiteralError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'PythonLiteralError';
  }
}

const MAX_DEPTH = 32;
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\n': '', // a backslash-newline continues the line
};

/** The characters a string scan looks for, by index: its two quotes, a backslash, a newline. */
const SEARCHED = ["'", '"', '\\', '\n'] as const;
type Searched = 0 | 1 | 2 | 3;
const SLASH = 2;
const NEWLINE = 3;

/** The earlier of two positions that were found (>= 0), or -1 when neither was. */
const earlier = (a: number, b: number) => (b >= 0 && (a < 0 || b < a) ? b : a);

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string): never {
    throw new PythonLiteralError(message, this.pos);
  }

  skipSpace() {
    let c = this.text.charCodeAt(this.pos);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = this.text.charCodeAt(++this.pos);
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end');
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.sequence(']', depth);
    if (c === '(') return this.sequence(')', depth);
    if (c === "'" || c === '"') return this.string();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9') || c === '.') return this.number();
    if (this.keyword('None')) return null;
    if (this.keyword('True')) return true;
    if (this.keyword('False')) return false;
    this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  keyword(word: string): boolean {
    if (!this.text.startsWith(word, this.pos) || /[A-Za-z0-9_]/.test(this.text[this.pos + word.length] ?? '')) {
      return false;
    }
    this.pos += word.length;
    return true;
  }

  dict(depth: number): { [key: string]: PyValue } {
    this.pos++; // {
    const out: { [key: string]: PyValue } = Object.create(null) as { [key: string]: PyValue };
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const key = this.value(depth + 1);
      if (typeof key === 'object' && key !== null) this.fail('a dict key must be a scalar');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out[String(key)] = this.value(depth + 1);
      this.skipSpace();
      const sep = this.text[this.pos++];
      if (sep === '}') return out;
      if (sep !== ',') this.fail("expected ',' or '}'");
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
    }
  }

  sequence(close: string, depth: number): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === close) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      const sep = this.text[this.pos++];
      if (sep === close) return out;
      if (sep !== ',') this.fail(`expected ',' or '${close}'`);
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
    }
  }

  string(): string {
    const quote = this.text[this.pos++] === "'" ? 0 : 1;
    let out = '';
    for (;;) {
      // Jump from escape to escape (most strings have none) instead of walking every character.
      const end = this.next(quote);
      const stop = earlier(earlier(end, this.next(SLASH)), this.next(NEWLINE));
      if (stop < 0) this.fail('unterminated string');
      out += this.text.slice(this.pos, stop);
      this.pos = stop;
      if (stop === end) {
        this.pos++;
        return out;
      }
      // A raw newline ends a Python string literal that is not triple-quoted.
      if (this.text[stop] === '\n') this.fail('unterminated string');
      out += this.escape();
    }
  }

  /**
   * Where SEARCHED[which] next occurs at or after this.pos (-1: nowhere). The answer is remembered until the
   * parser moves past it, so each character is searched for across the text once in all: a fresh
   * indexOf per escape or per string rescanned the rest of the text each time (O(n²) on a hostile
   * value — seconds per megabyte, blocking the activity's heartbeats).
   */
  next(which: Searched): number {
    const known = this.ahead[which]!;
    if (known === -1 || known >= this.pos) return known;
    return (this.ahead[which] = this.text.indexOf(SEARCHED[which], this.pos));
  }

  /** Per SEARCHED character: its next position, -1 (none left) or -2 (not searched yet). */
  private readonly ahead = [-2, -2, -2, -2];

  /** One backslash escape at this.pos (Python's rules); returns its text. */
  escape(): string {
    const e = this.text[this.pos + 1];
    if (e === undefined) this.fail('unterminated escape');
    if (e in SIMPLE_ESCAPES) {
      this.pos += 2;
      return SIMPLE_ESCAPES[e]!;
    }
    if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = this.text.slice(this.pos + 2, this.pos + 2 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) this.fail(`bad \\${e} escape`);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) this.fail('code point out of range');
      this.pos += 2 + len;
      return String.fromCodePoint(code);
    }
    // Python keeps unknown escapes verbatim ("\d" is backslash + d).
    this.pos += 2;
    return '\\' + e;
  }

  number(): number {
    const m = /^[+-]?(?:\d[\d_]*)?(?:\.\d*)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 64));
    const raw = m?.[0] ?? '';
    const n = Number(raw.replaceAll('_', ''));
    if (!raw || raw === '-' || raw === '+' || raw === '.' || !Number.isFinite(n)) this.fail('bad number');
    this.pos += raw.length;
    return n;
  }
}

/** Parses one Python literal; the whole text must be consumed. */
export function parsePythonLiteral(text: string): PyValue {
  const p = new Parser(text);
  const v = p.value(0);
  p.skipSpace();
  if (p.pos !== text.length) p.fail('trailing characters');
  return v;
}

/** Parses passback_params: must be a dict literal. */
export function parsePassbackParams(text: string): { [key: string]: PyValue } {
  const v = parsePythonLiteral(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new PythonLiteralError('passback_params is not a dict', 0);
  }
  return v;
}
