// The copyFile activity: one plan item to one destination, exactly once and verified, in three steps:
//   probe     (or, in a batch, the folder's one listing) -> already there (tagged with the item's key,
//             size/md5 as planned) | remove a bad copy, choose the name, load the earlier session
//   transfer  (transfer.ts) upload from URL (Yandex, public sources) or stream through MD5/CRC-32,
//             resuming the session an earlier attempt left in PostgreSQL (checkpoints.ts: written as
//             the session opens, whatever dies)
//   verify    against the plan and the destination's own md5/size -> remove + retry on mismatch
// then the outcome is recorded in PostgreSQL (which also deletes the checkpoint).
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { CopyItemResult, CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import { FailureType, failure } from '../../lib/failures';
import { recordCopied, recordFailure } from '../../lib/metrics';
import { inChildSpan } from '../../lib/tracing';
import type { Destination, FolderRef, RemoteFile } from '../clouds/destination';
import type { ItemCheckpoint } from './checkpoints';
import type { Digest } from './hashing';
import type { SharedListing } from './listings';
import { transfer, type Transferred, type UploadTarget } from './transfer';
import type { CopyFileInput } from './types';

/**
 * An attempt's progress, in its heartbeat: the bytes read and the name chosen. The upload session is
 * not here: heartbeats reach Temporal only once per throttle interval, so it lives in PostgreSQL.
 */
export interface CopyHeartbeat {
  key: string;
  name?: string;
  bytes?: number;
}

export interface CopyFileEnv {
  destination: Destination;
  ensureFolder(relDir: string): Promise<FolderRef>;
  record(result: CopyItemResult): Promise<void>;
  /** The item's durable upload checkpoint. */
  checkpoint: ItemCheckpoint;
  /** The page's listing of the item's folder (listings.ts); undefined: probe the item on its own. */
  folderIndex?(relDir: string, folder: FolderRef): Promise<SharedListing> | undefined;
}

export const splitPath = (relPath: string) => {
  const parts = relPath.split('/').filter(Boolean);
  const name = parts.pop();
  if (!name) {
    throw failure(FailureType.InvalidInput, `empty file name in relPath "${relPath}"`);
  }
  return { dir: parts.join('/'), name };
};

/** A tagged copy from an earlier run or attempt is good when it has the planned size and md5. */
export const existingIsGood = (item: CopyPlanItem, f: RemoteFile) =>
  (item.size === undefined || f.size === item.size) &&
  (item.md5 === undefined || f.md5 === undefined || f.md5 === item.md5.toLowerCase());

/** An item's state for this attempt, from the previous attempt's heartbeat (if it was about this item). */
export function resumeDetails(previous: CopyHeartbeat | undefined, key: string): CopyHeartbeat {
  return previous?.key === key ? { key, name: previous.name, bytes: previous.bytes } : { key };
}

export async function copyFile(input: CopyFileInput, env: CopyFileEnv): Promise<CopyItemResult> {
  const ctx = Context.current();
  const { item } = input;
  const signal = ctx.cancellationSignal;
  const details = resumeDetails(ctx.info.heartbeatDetails as CopyHeartbeat | undefined, item.key);
  // Heartbeat on a timer, not only on progress: cancellation is delivered through heartbeats, and a
  // slow destination must not look like a dead worker.
  const beat = () => ctx.heartbeat(details);
  beat();
  const timer = setInterval(beat, Math.max(200, Math.min(1000, (ctx.info.heartbeatTimeoutMs ?? 3000) / 3)));
  try {
    return await copyItem(input, env, details, signal);
  } catch (err) {
    if (signal.aborted)
      throw signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('copy cancelled');
    recordFailure('copy', err);
    throw err;
  } finally {
    clearInterval(timer);
  }
}

/**
 * One attempt at one item, its state in `details` (the caller heartbeats them: copyFile for one item,
 * copyBatch for a batch of small files). In a traced transfer, a `CopyItem` span of its own.
 */
export function copyItem(
  input: CopyFileInput,
  env: CopyFileEnv,
  details: CopyHeartbeat,
  signal: AbortSignal,
): Promise<CopyItemResult> {
  const attributes = {
    'ferry.plan_id': input.planId,
    'ferry.seq': input.seq,
    'ferry.destination': env.destination.cloud,
    ...(input.item.size !== undefined && { 'ferry.size': input.item.size }),
  };
  return inChildSpan('CopyItem', attributes, async (span) => {
    const result = await copyItemOnce(input, env, details, signal);
    span?.setAttributes({ 'ferry.status': result.status, 'ferry.bytes': result.bytes });
    return result;
  });
}

/** Where an attempt stands once probed: the copy is there already, or where to upload it. */
type Probed = { kind: 'present'; result: CopyItemResult } | ({ kind: 'upload' } & UploadTarget);

async function copyItemOnce(
  input: CopyFileInput,
  env: CopyFileEnv,
  details: CopyHeartbeat,
  signal: AbortSignal,
): Promise<CopyItemResult> {
  const probed = await probe(input.item, env, details);
  if (probed.kind === 'present') {
    await env.record(probed.result);
    return probed.result;
  }
  const sent = await transfer(input, env, details, probed, signal);
  const result = await verify(input.item, env, details, probed, sent);
  await env.record(result);
  recordCopied({ destination: env.destination.cloud }, result.bytes);
  return result;
}

/** A copy found at the destination, as the item's result. */
export function presentResult(
  item: CopyPlanItem,
  f: RemoteFile,
  wanted: string,
  status: 'already_there' | 'copied',
): CopyItemResult {
  return {
    key: item.key,
    relPath: item.relPath,
    status,
    bytes: f.size,
    md5: f.md5,
    destinationId: f.id,
    destinationPath: f.path,
    ...(f.name !== wanted && { renamedFrom: item.relPath }),
  };
}

/**
 * Probe: is a good copy there already (from an earlier run, or this copy's own earlier attempt)? If
 * not, the name to upload to, and the session an earlier attempt left to resume.
 */
async function probe(item: CopyPlanItem, env: CopyFileEnv, details: CopyHeartbeat): Promise<Probed> {
  const { destination: dest } = env;
  const { dir, name: wanted } = splitPath(item.relPath);
  const folder = await env.ensureFolder(dir);
  const stored = await env.checkpoint.load();
  if (stored) details.name = stored.name;
  const checkpoint = stored?.checkpoint;

  // The page's listing answers an item no earlier attempt touched; one that an earlier attempt may
  // have uploaded since the listing was taken is probed afresh, so a stale listing never uploads twice.
  // A failed listing is no failure: the item is probed on its own.
  const index = await env.folderIndex?.(dir, folder)?.catch(() => undefined);
  const fresh = !index || details.name !== undefined || stored !== undefined || index.touched(item.key);
  let found = fresh ? await dest.probe(folder, details.name ?? wanted, item) : await index.probe(wanted, item);
  if (found.existing && existingIsGood(item, found.existing)) {
    // With a name in the heartbeat, it was this copy's own earlier attempt that finished the upload.
    const status = details.name === undefined ? 'already_there' : 'copied';
    return { kind: 'present', result: presentResult(item, found.existing, wanted, status) };
  }
  if (found.existing && !checkpoint) {
    // Ours (tagged with this key) but not the planned bytes, or left by an attempt that did not verify.
    // (With a checkpoint it may be that session's own upload, still being finalised: the adapter decides.)
    await dest.remove(found.existing);
    found = await dest.probe(folder, wanted, item);
  }
  // A session keeps its name; without one, a name another file took since is given up for a free one.
  const name = checkpoint && details.name ? details.name : found.freeName;
  details.name = name;
  // The batch's other items must not pick this name from the same listing.
  index?.claim(name, item.key);
  return { kind: 'upload', folder, wanted, name, existing: found.existing, checkpoint };
}

/**
 * Verify: the plan, the bytes read and the destination's own md5/size must agree. A bad copy is
 * removed, and its session forgotten, before the attempt fails (ChecksumMismatch: retried).
 */
async function verify(
  item: CopyPlanItem,
  env: CopyFileEnv,
  details: CopyHeartbeat,
  target: UploadTarget,
  sent: Transferred,
): Promise<CopyItemResult> {
  const dest = env.destination;
  const { digest } = sent;
  let { remote } = sent;
  if (remote.md5 === undefined || remote.size === undefined) remote = (await dest.stat(remote)) ?? remote;
  const problems = mismatches(item, digest, remote);
  if (problems.length) {
    await dest.remove(remote);
    // Its session produced the bad copy: the next attempt must not resume it.
    await env.checkpoint.clear();
    details.name = undefined;
    throw failure(FailureType.ChecksumMismatch, `${item.relPath}: ${problems.join('; ')} (the bad copy was removed)`);
  }
  return {
    key: item.key,
    relPath: item.relPath,
    status: 'copied',
    bytes: digest.size ?? remote.size,
    md5: digest.md5 ?? remote.md5,
    crc32: digest.crc32,
    destinationId: remote.id,
    destinationPath: remote.path,
    ...(target.name !== target.wanted && { renamedFrom: item.relPath }),
  };
}

/** Differences between what we expected and what we got, as readable sentences; empty when all agree. */
function mismatches(item: CopyPlanItem, got: Partial<Digest>, remote: RemoteFile | undefined): string[] {
  const out: string[] = [];
  const cmp = (what: string, expected: string | number | undefined, actual: string | number | undefined) => {
    if (
      expected !== undefined &&
      actual !== undefined &&
      String(expected).toLowerCase() !== String(actual).toLowerCase()
    ) {
      out.push(`${what}: expected ${expected}, got ${actual}`);
    }
  };
  cmp('size (plan vs source)', item.size, got.size);
  cmp('crc32 (plan vs source)', item.crc32, got.crc32);
  cmp('md5 (plan vs source)', item.md5, got.md5);
  cmp('size (destination)', got.size ?? item.size, remote?.size);
  cmp('md5 (destination)', got.md5 ?? item.md5, remote?.md5);
  return out;
}
