// The copyFile activity: one plan item to one destination, exactly once and verified.
//   probe (or, in a batch, the folder's one listing) -> already there (tagged with the item's key, size/md5 as planned) | remove a bad copy
//   upload from URL (Yandex, public sources) or stream through MD5/CRC-32, resuming the session an
//   earlier attempt left in PostgreSQL (checkpoints.ts: written as the session opens, whatever dies)
//   verify against the plan and the destination's own md5/size -> remove + retry on mismatch
//   record the outcome in PostgreSQL (which also deletes the checkpoint).
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { CopyItemResult, CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import { FailureType } from '../../lib/failures';
import { recordCopied, recordFailure } from '../../lib/metrics';
import { inChildSpan } from '../../lib/tracing';
import type { Destination, FolderRef, RemoteFile } from '../clouds/destination';
import type { ItemCheckpoint } from './checkpoints';
import { HashingSource, type Digest } from './hashing';
import type { SharedListing } from './listings';
import { SourceReader } from './source';
import { assertFetchable } from './url-guard';
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
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `empty file name in relPath "${relPath}"`,
      nonRetryable: true,
    });
  }
  return { dir: parts.join('/'), name };
};

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

async function copyItemOnce(
  input: CopyFileInput,
  env: CopyFileEnv,
  details: CopyHeartbeat,
  signal: AbortSignal,
): Promise<CopyItemResult> {
  const { item } = input;
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
  let probe = fresh ? await dest.probe(folder, details.name ?? wanted, item) : await index.probe(wanted, item);
  if (probe.existing && existingIsGood(item, probe.existing)) {
    const f = probe.existing;
    // With a name in the heartbeat, it was this copy's own earlier attempt that finished the upload.
    const status = details.name === undefined ? 'already_there' : 'copied';
    const result: CopyItemResult = {
      key: item.key,
      relPath: item.relPath,
      status,
      bytes: f.size,
      md5: f.md5,
      destinationId: f.id,
      destinationPath: f.path,
      ...(f.name !== wanted && { renamedFrom: item.relPath }),
    };
    await env.record(result);
    return result;
  }
  if (probe.existing && !checkpoint) {
    // Ours (tagged with this key) but not the planned bytes, or left by an attempt that did not verify.
    // (With a checkpoint it may be that session's own upload, still being finalised: the adapter decides.)
    await dest.remove(probe.existing);
    probe = await dest.probe(folder, wanted, item);
  }
  // A session keeps its name; without one, a name another file took since is given up for a free one.
  const name = checkpoint && details.name ? details.name : probe.freeName;
  details.name = name;
  // The batch's other items must not pick this name from the same listing.
  index?.claim(name, item.key);

  const guard = {
    allowedHosts: input.options.allowedSourceHosts,
    allowPrivateNetwork: input.options.allowPrivateNetwork,
  };
  // The checkpoint names a file another owner holds now: the next attempt probes for a free name.
  const dropCheckpoint = async () => {
    await env.checkpoint.clear();
    details.name = undefined;
  };
  const serverSide = dest.uploadFromUrl && item.publiclyFetchable && input.options.serverSideUpload !== 'never';
  let remote: RemoteFile;
  let digest: Partial<Digest> = {};
  if (serverSide) {
    await assertFetchable(item.sourceUrl, guard);
    remote = await dest.uploadFromUrl!({
      folder,
      name,
      item,
      signal,
      checkpoint,
      onCheckpoint: (cp) => env.checkpoint.update(name, cp),
      dropCheckpoint,
    });
  } else {
    const reader = new SourceReader(item.sourceUrl, guard, signal);
    // The upload's own signal: aborted on cancellation, and when the source fails mid-body.
    const upload = new AbortController();
    const onCancel = () => upload.abort(signal.reason);
    signal.addEventListener('abort', onCancel, { once: true });
    const source = new HashingSource(
      reader,
      (n) => (details.bytes = (details.bytes ?? 0) + n),
      (err) =>
        upload.abort(
          err instanceof ApplicationFailure
            ? err
            : ApplicationFailure.create({
                type: 'SourceUnavailable',
                message: `reading the source failed: ${err.message}`,
              }),
        ),
    );
    const size = item.size ?? (checkpoint?.total || undefined) ?? (await source.prepare());
    try {
      remote = await dest.upload({
        folder,
        name,
        item,
        size,
        open: (offset) => source.open(offset),
        checkpoint,
        onCheckpoint: (cp) => env.checkpoint.update(name, cp),
        sourceDigest: () => source.hashRest(),
        dropCheckpoint,
        tags: { sourceKey: item.key, size: size ?? 0, md5: item.md5?.toLowerCase() ?? '' },
        finalMd5: () => source.digest().md5,
        signal: upload.signal,
      });
      // A bad copy of ours that the resumed session did not replace.
      if (probe.existing && probe.existing.id !== remote.id) await dest.remove(probe.existing);
      if (remote.md5 === undefined || remote.size === undefined) remote = (await dest.stat(remote)) ?? remote;
      // Bytes the destination had before this attempt (a session that finished before a crash, an
      // adopted PUT) are read from the source, not sent, so that the whole file is verified.
      if (source.digest().size < remote.size) await source.hashRest();
    } catch (err) {
      // The source's own failure explains an aborted upload better than the abort does.
      throw upload.signal.aborted && !signal.aborted && upload.signal.reason instanceof Error
        ? upload.signal.reason
        : err;
    } finally {
      signal.removeEventListener('abort', onCancel);
      source.close();
    }
    digest = source.digest();
  }
  if (remote.md5 === undefined || remote.size === undefined) remote = (await dest.stat(remote)) ?? remote;
  const problems = mismatches(item, digest, remote);
  if (problems.length) {
    await dest.remove(remote);
    // Its session produced the bad copy: the next attempt must not resume it.
    await env.checkpoint.clear();
    details.name = undefined;
    throw ApplicationFailure.create({
      type: FailureType.ChecksumMismatch,
      message: `${item.relPath}: ${problems.join('; ')} (the bad copy was removed)`,
    });
  }
  const result: CopyItemResult = {
    key: item.key,
    relPath: item.relPath,
    status: 'copied',
    bytes: digest.size ?? remote.size,
    md5: digest.md5 ?? remote.md5,
    crc32: digest.crc32,
    destinationId: remote.id,
    destinationPath: remote.path,
    ...(name !== wanted && { renamedFrom: item.relPath }),
  };
  await env.record(result);
  recordCopied({ destination: dest.cloud }, result.bytes);
  return result;
}
