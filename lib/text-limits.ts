// Limits on free text that travels in Temporal payloads (activity results, workflow results, queries).
// A payload over 2 MB fails its task for good, and 1,000 listed problems whose names and reasons are a
// few KiB each (a listing's names may be 4 KiB; a reason may quote a URL) would reach it. Pure: safe
// in workflows.
import type { FileProblem } from './jobs/cloud-archive';
import type { CopyItemResult } from './jobs/copy-to-cloud';

export const MAX_NAME_CHARS = 300;
export const MAX_REASON_CHARS = 500;

/** `text` cut to at most `max` characters, an ellipsis marking the cut; never half a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** A set-aside file for a report: its name and reason clipped. */
export const briefProblem = (name: string, reason: string): FileProblem => ({
  name: clip(name, MAX_NAME_CHARS),
  reason: clip(reason, MAX_REASON_CHARS),
});

/** A failed item for a summary list: the error message clipped (relPath is already bounded by the plan). */
export const briefFailure = (r: CopyItemResult): CopyItemResult =>
  r.error ? { ...r, error: { type: clip(r.error.type, 100), message: clip(r.error.message, MAX_REASON_CHARS) } } : r;
