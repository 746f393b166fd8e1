// Drive v3's two mini-languages, as the Drive fake needs them: the `q` search query
// (name = 'x' and 'ID' in parents and trashed = false and mimeType = '…' and
// appProperties has { key='k' and value='v' }, with and/or/not/parentheses) and the `fields` selector
// (files(id,name),nextPageToken). Unknown syntax throws QueryError: Drive answers 400 "Invalid Value".

export class QueryError extends Error {}

export interface QueryableFile {
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
  appProperties: Record<string, string>;
}

type Token = { t: 'str'; v: string } | { t: 'word'; v: string } | { t: 'op'; v: string };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= q.length) throw new QueryError('unterminated string');
        const d = q[i]!;
        if (d === '\\') {
          const next = q[i + 1];
          if (next !== '\\' && next !== "'") throw new QueryError(`bad escape \\${next ?? ''}`);
          v += next;
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ t: 'str', v });
    } else if (c === '!' && q[i + 1] === '=') {
      out.push({ t: 'op', v: '!=' });
      i += 2;
    } else if ('=(){}'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(q.slice(i))![0];
      out.push({ t: 'word', v: m });
      i += m.length;
    } else {
      throw new QueryError(`unexpected ${c}`);
    }
  }
  return out;
}

/**
 * The folder every match of `q` must be in: a top-level `'ID' in parents` conjunct (not under an `or`
 * or a `not`), so that a store can look in that folder alone. Undefined when the query does not say.
 */
export function requiredParent(q: string): string | undefined {
  const toks = tokenize(q);
  const isWord = (t: Token | undefined, v: string) => t?.t === 'word' && t.v.toLowerCase() === v;
  let depth = 0;
  let parent: string | undefined;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.t === 'op' && (t.v === '(' || t.v === '{')) depth++;
    else if (t.t === 'op' && (t.v === ')' || t.v === '}')) depth--;
    else if (depth === 0 && isWord(t, 'or')) return undefined;
    else if (
      depth === 0 &&
      t.t === 'str' &&
      isWord(toks[i + 1], 'in') &&
      toks[i + 2]?.v === 'parents' &&
      (i === 0 || isWord(toks[i - 1], 'and'))
    )
      parent ??= t.v;
  }
  return parent;
}

type Pred = (f: QueryableFile) => boolean;

/** Compiles a Drive `q` string into a predicate over files. */
export function compileQuery(q: string): Pred {
  const toks = tokenize(q);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (!t) throw new QueryError('unexpected end of query');
    return t;
  };
  const expect = (t: Token['t'], v?: string): string => {
    const tok = next();
    if (tok.t !== t || (v !== undefined && tok.v.toLowerCase() !== v)) throw new QueryError(`expected ${v ?? t}`);
    return tok.v;
  };
  const isWord = (v: string) => peek()?.t === 'word' && peek()!.v.toLowerCase() === v;

  /** `operand (word operand)*`, left to right: `and` binds tighter than `or`, as in Drive's q language. */
  function joined(word: 'or' | 'and', operand: () => Pred): Pred {
    let left = operand();
    while (isWord(word)) {
      pos++;
      const l = left;
      const r = operand();
      left = word === 'or' ? (f) => l(f) || r(f) : (f) => l(f) && r(f);
    }
    return left;
  }
  const andExpr = () => joined('and', term);
  const orExpr = (): Pred => joined('or', andExpr);
  function term(): Pred {
    const tok = next();
    if (tok.t === 'op' && tok.v === '(') {
      const inner = orExpr();
      expect('op', ')');
      return inner;
    }
    if (tok.t === 'word' && tok.v.toLowerCase() === 'not') {
      const inner = term();
      return (f) => !inner(f);
    }
    if (tok.t === 'str') {
      expect('word', 'in');
      const coll = expect('word');
      if (coll !== 'parents') throw new QueryError(`unsupported collection ${coll}`);
      return (f) => f.parents.includes(tok.v);
    }
    if (tok.t === 'word' && tok.v === 'appProperties') {
      expect('word', 'has');
      expect('op', '{');
      expect('word', 'key');
      expect('op', '=');
      const key = expect('str');
      expect('word', 'and');
      expect('word', 'value');
      expect('op', '=');
      const value = expect('str');
      expect('op', '}');
      return (f) => f.appProperties[key] === value;
    }
    if (tok.t === 'word' && ['name', 'mimeType', 'trashed'].includes(tok.v)) {
      const opTok = next();
      const op = opTok.v.toLowerCase();
      if (!['=', '!=', 'contains'].includes(op)) throw new QueryError(`bad operator ${opTok.v}`);
      const valTok = next();
      let value: string | boolean;
      if (tok.v === 'trashed') {
        if (valTok.t !== 'word' || !['true', 'false'].includes(valTok.v))
          throw new QueryError('trashed needs true|false');
        value = valTok.v === 'true';
      } else {
        if (valTok.t !== 'str') throw new QueryError('expected a quoted string');
        value = valTok.v;
      }
      const field = tok.v as 'name' | 'mimeType' | 'trashed';
      return (f) => {
        const actual = f[field];
        let eq: boolean;
        if (op === 'contains') eq = String(actual).toLowerCase().includes(String(value).toLowerCase());
        else if (field === 'name') eq = String(actual).toLowerCase() === String(value).toLowerCase();
        else eq = actual === value;
        return op === '!=' ? !eq : eq;
      };
    }
    throw new QueryError(`unsupported term ${tok.v}`);
  }

  const pred = orExpr();
  if (pos !== toks.length) throw new QueryError('trailing input');
  return pred;
}

type FieldTree = Map<string, FieldTree | true>;

function parseFields(spec: string): FieldTree {
  let i = 0;
  function list(): FieldTree {
    const tree: FieldTree = new Map();
    while (i < spec.length && spec[i] !== ')') {
      const m = /^[A-Za-z_*][A-Za-z0-9_/]*/.exec(spec.slice(i).trimStart());
      if (!m) throw new QueryError(`bad fields at ${i}`);
      i += spec.slice(i).length - spec.slice(i).trimStart().length + m[0].length;
      // a/b is shorthand for a(b)
      const [head, ...rest] = m[0].split('/');
      let sub: FieldTree | true = true;
      if (spec[i] === '(') {
        i++;
        sub = list();
        if (spec[i] !== ')') throw new QueryError('unbalanced parentheses in fields');
        i++;
      }
      for (const r of rest.reverse()) sub = new Map([[r, sub]]);
      tree.set(head!, sub);
      while (spec[i] === ',' || spec[i] === ' ') i++;
    }
    return tree;
  }
  return list();
}

/** Applies a `fields` selector to a response object ('*' keeps everything). */
export function selectFields(obj: Record<string, unknown>, spec: string): Record<string, unknown> {
  return applyTree(obj, parseFields(spec)) as Record<string, unknown>;
}

function applyTree(value: unknown, tree: FieldTree | true): unknown {
  if (tree === true || tree.has('*')) return value;
  if (Array.isArray(value)) return value.map((v) => applyTree(v, tree));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of tree) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = applyTree(v, sub);
  }
  return out;
}
