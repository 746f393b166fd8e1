// The gallery's file listing: where it lives (derived from the archive link), how it is fetched
// (SSRF-guarded on every hop, size-capped) and what a valid entry is.
import type { IncomingMessage } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { failure, FailureType } from '../../lib/failures';
import { guardedFollow } from '../copy/guarded-http';
import type { FetchGuardOptions } from '../copy/url-guard';

export const ListingEntrySchema = z.object({
  // CRC-32 as hex; a platform that drops leading zeros still names the same checksum.
  crc: z
    .string()
    .regex(/^[0-9a-fA-F]{1,8}$/, 'must be a CRC-32 in hex')
    .transform((s) => s.toLowerCase().padStart(8, '0')),
  filesize: z.union([
    z.number().int().nonnegative(),
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
  ]),
  created_at: z.string().max(100).optional(),
  name: z.string().min(1).max(4096),
  url: z.string().min(1).max(4096),
  id: z.union([z.number().int().nonnegative(), z.string().min(1).max(200)]),
});
export type ListingEntry = z.output<typeof ListingEntrySchema>;

/**
 * `https://arch-d.lite.gallery/g/api/stream/1/abc?mod=web` + base `https://app.litegallery.io` ->
 * `https://app.litegallery.io/g/api/stream/1/abc?json=true`. The base may carry a path prefix, which is
 * kept; the archive link contributes only its path (never its host, query or credentials).
 */
export function listingUrlFor(archiveUrl: string, galleryApiUrl: string): string {
  const base = new URL(galleryApiUrl);
  const path = new URL(archiveUrl).pathname;
  const url = new URL(base.origin);
  url.pathname = base.pathname.replace(/\/+$/, '') + path;
  url.search = '?json=true';
  return url.toString();
}

/** GET with manual redirects: each hop passes the guard before any byte is sent to it. */
export async function guardedGet(
  url: string,
  guard: FetchGuardOptions,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  try {
    const { res } = await guardedFollow(url, guard, { headers: { accept: 'application/json' }, signal });
    return res;
  } catch (err) {
    if (signal?.aborted || err instanceof ApplicationFailure) throw err;
    throw failure(FailureType.GalleryUnavailable, `the gallery is unreachable: ${(err as Error).message}`);
  }
}

/** Reads the body as text, refusing more than `maxBytes` (a listing is data we hold in memory). */
export async function readCapped(res: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  const tooLarge = () => {
    res.destroy();
    return failure(FailureType.InvalidInput, `the listing is larger than ${maxBytes} bytes`);
  };
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Maps the listing endpoint's HTTP status to a typed failure (undefined: 2xx, go on). */
export function listingStatusFailure(status: number): ApplicationFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 404 || status === 410) {
    return failure(FailureType.SourceNotFound, `the gallery archive was not found (HTTP ${status})`);
  }
  if (status === 401 || status === 403) {
    return failure(FailureType.AccessDenied, `the gallery refused the listing (HTTP ${status})`);
  }
  if (status === 408 || status === 429 || status >= 500) {
    return failure(FailureType.GalleryUnavailable, `the gallery answered HTTP ${status}`);
  }
  return failure(FailureType.InvalidInput, `the gallery answered HTTP ${status} for the listing`);
}

/** The listing must be a JSON array; entries are validated one by one by the caller. */
export function parseListingArray(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw failure(FailureType.InvalidInput, 'the listing is not valid JSON');
  }
  if (!Array.isArray(doc)) throw failure(FailureType.InvalidInput, 'the listing is not a JSON array');
  return doc;
}

/** A readable reason for an invalid entry, naming each bad field. */
export function entryProblem(error: z.ZodError): string {
  return `invalid listing entry: ${error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ')}`;
}
