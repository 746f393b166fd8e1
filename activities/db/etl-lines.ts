// What each streamed IT Resume item becomes, as a line of COPY's text format: a valid attempt is a row
// of etl_attempts (or of etl_stage); anything else is a rejected row of etl_stage — the raw text and the
// reason — which the load moves to etl_rejected. Nothing an item holds can make the COPY refuse its line.
import type { StreamItem } from '../itresume/json-array-stream';
import { validateRecord, type Attempt } from '../itresume/record';
import { mayHoldUnstorable, storableText, unstorableAttempt } from './storable';

// COPY text format: tab-separated, \N for NULL, backslash escapes for the separators (a backslash
// anywhere else starts an escape, so `\N` or `\.` in a value is written `\\N`, `\\.`).
const NEEDS_ESCAPE = /[\\\t\n\r]/;
export const esc = (v: string | null): string =>
  v === null
    ? '\\N'
    : NEEDS_ESCAPE.test(v)
      ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
      : v;

type ItemLine = { ok: true; attempt: Attempt; line: string } | { ok: false; line: string };

/**
 * A rejected item's etl_stage line. Its raw text and reason get \uXXXX escapes for what PostgreSQL cannot
 * store (a raw NUL in the body; V8 quotes the offending text in its JSON errors), noted in the reason.
 */
function rejectLine(raw: string, reason: string): ItemLine {
  const storedRaw = storableText(raw);
  const note = storedRaw === raw ? '' : '; raw held U+0000, stored as \\u0000';
  const line = `\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${esc(storedRaw)}\t${esc(storableText(reason) + note)}\n`;
  return { ok: false, line };
}

/** The line of one item; `tail` ends an attempt's line (its run_id, or etl_stage's empty raw + reason). */
export function itemLine(item: Exclude<StreamItem, { kind: 'object' }>, tail: string): ItemLine {
  if (item.kind === 'bad-item') return rejectLine(item.raw, `not valid JSON: ${item.error}`);
  if (item.kind === 'oversize-item') {
    return rejectLine(
      item.head,
      `item is ${item.bytes} bytes, over the ${item.limit}-byte limit: raw holds its first ${item.limit} bytes`,
    );
  }
  const raw = () => item.raw ?? JSON.stringify(item.value);
  const v = validateRecord(item.value);
  if (!v.ok) return rejectLine(raw(), v.reason);
  const a = v.attempt;
  const line = `${a.createdAt}\t${a.ltiUserId}\t${a.attemptType}\t${a.isCorrect === null ? '\\N' : a.isCorrect}\t${esc(
    a.oauthConsumerKey,
  )}\t${esc(a.lisResultSourcedid)}\t${esc(a.lisOutcomeServiceUrl)}\t${esc(
    a.extraParams ? JSON.stringify(a.extraParams) : null,
  )}${tail}`;
  const unstorable = mayHoldUnstorable(line) ? unstorableAttempt(a) : undefined;
  if (unstorable) return rejectLine(raw(), unstorable);
  return { ok: true, attempt: a, line };
}
