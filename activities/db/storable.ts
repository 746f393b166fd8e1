// What PostgreSQL cannot store, found before it reaches a COPY (one refused row rolls back the whole
// window, and every retry meets it again):
//   - U+0000: text refuses the byte ("invalid byte sequence for encoding UTF8: 0x00"), jsonb the
//     escape ("unsupported Unicode escape sequence");
//   - a lone UTF-16 surrogate (half of a pair, not a character): jsonb refuses its \udXXX escape, and
//     Node's UTF-8 encoder would silently turn it into U+FFFD in a text column.
// An attempt holding either is rejected with a reason saying which column holds what; the text kept for
// a rejected item (its raw JSON and the reason) gets JSON-style \uXXXX escapes instead, so it always fits.
import type { PyValue } from '../itresume/passback-params';
import type { Attempt } from '../itresume/record';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const escapeOf = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** What in `s` PostgreSQL cannot store ("U+0000", "a lone surrogate (U+D800)"), or undefined. */
export function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'U+0000';
  const lone = LONE_SURROGATE.exec(s);
  return lone ? `a lone surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()})` : undefined;
}

/** `s` with each U+0000 and lone surrogate written as a \uXXXX escape (JSON's spelling of it). */
export function storableText(s: string): string {
  return unstorable(s) === undefined ? s : s.replaceAll('\u0000', escapeOf).replace(LONE_SURROGATES, escapeOf);
}

const SURROGATE_OR_ESCAPE = /[\ud800-\udfff]|\\u/;

/**
 * A cheap first look at a whole COPY line (one scan, ~4x faster than unstorableAttempt's walk): false
 * means nothing in it needs the exact check. A text column holds its characters as they are; the
 * extra_params JSON spells U+0000 and lone surrogates as \uXXXX escapes. Emoji and harmless escapes
 * only cost the exact check.
 */
export const mayHoldUnstorable = (line: string) => line.includes('\u0000') || SURROGATE_OR_ESCAPE.test(line);

/** A key as a reason names it: JSON-quoted (which escapes what cannot be stored), and cut if long. */
const label = (key: string) => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);

/** The first string (key or value) in a passback value that cannot be stored, with its path. */
function findInValue(value: PyValue, path: string): string | undefined {
  if (typeof value === 'string') {
    const what = unstorable(value);
    return what && `${path} holds ${what}`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInValue(value[i]!, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const what = unstorable(key);
      if (what) return `${path} key ${label(key)} holds ${what}`;
      const found = findInValue(item, `${path}[${label(key)}]`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Why a valid attempt cannot be stored as it is (undefined: it can). */
export function unstorableAttempt(a: Attempt): string | undefined {
  const found =
    findInValue(a.oauthConsumerKey, 'oauth_consumer_key') ??
    findInValue(a.lisResultSourcedid, 'lis_result_sourcedid') ??
    findInValue(a.lisOutcomeServiceUrl, 'lis_outcome_service_url') ??
    (a.extraParams ? findInValue(a.extraParams, 'extra_params') : undefined);
  return found && `passback_params: ${found}, which PostgreSQL cannot store`;
}
