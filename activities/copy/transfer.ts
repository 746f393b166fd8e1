// An item's transfer, the middle step of a copy (copy-file.ts: probe, transfer, verify): the cloud fetches a
// public source itself where it can (Yandex upload from URL); otherwise the bytes stream from the source
// through MD5/CRC-32 to the destination, resuming the session an earlier attempt left in PostgreSQL.
import { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType } from '../../lib/failures';
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import type { Destination, FolderRef, RemoteFile, UploadCheckpoint, UploadRequest } from '../clouds/destination';
import type { CopyFileEnv, CopyHeartbeat } from './copy-file';
import { HashingSource, type Digest } from './hashing';
import { SourceReader } from './source';
import { assertFetchable } from './url-guard';
import type { CopyFileInput } from './types';

/** Where the probe said to upload an item. */
export interface UploadTarget {
  folder: FolderRef;
  /** The plan's name for the file, and the one chosen at the destination (a suffixed one when taken). */
  wanted: string;
  name: string;
  /** Ours but bad (not the planned bytes, or not verified): replaced by this upload. */
  existing?: RemoteFile;
  /** An earlier attempt's session, to resume. */
  checkpoint?: UploadCheckpoint;
}

/** What a transfer left at the destination, and the digest of the bytes it read (none when the cloud fetched them). */
export interface Transferred {
  remote: RemoteFile;
  digest: Partial<Digest>;
}

/** The item's bytes to `target`; the heartbeat's `details` count what was read. */
export async function transfer(
  input: CopyFileInput,
  env: CopyFileEnv,
  details: CopyHeartbeat,
  target: UploadTarget,
  signal: AbortSignal,
): Promise<Transferred> {
  const { item } = input;
  const dest = env.destination;
  const guard = {
    allowedHosts: input.options.allowedSourceHosts,
    allowPrivateNetwork: input.options.allowPrivateNetwork,
  };
  const session: Session = {
    checkpoint: target.checkpoint,
    onCheckpoint: (cp) => env.checkpoint.update(target.name, cp),
    // The checkpoint names a file another owner holds now: the next attempt probes for a free name.
    dropCheckpoint: async () => {
      await env.checkpoint.clear();
      details.name = undefined;
    },
  };
  if (dest.uploadFromUrl && item.publiclyFetchable && input.options.serverSideUpload !== 'never') {
    await assertFetchable(item.sourceUrl, guard);
    const remote = await dest.uploadFromUrl({ folder: target.folder, name: target.name, item, signal, ...session });
    return { remote, digest: {} };
  }
  return streamed(item, dest, new SourceReader(item.sourceUrl, guard, signal), details, target, session, signal);
}

/** The resumable-session part of an upload request, the same for both ways of uploading. */
type Session = Pick<UploadRequest, 'checkpoint' | 'onCheckpoint' | 'dropCheckpoint'>;

/** The hot path: source -> MD5/CRC-32 -> destination, one stream, no copy of the bytes. */
async function streamed(
  item: CopyPlanItem,
  dest: Destination,
  reader: SourceReader,
  details: CopyHeartbeat,
  target: UploadTarget,
  session: Session,
  signal: AbortSignal,
): Promise<Transferred> {
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
          : failure(FailureType.SourceUnavailable, `reading the source failed: ${err.message}`),
      ),
  );
  const size = item.size ?? (target.checkpoint?.total || undefined) ?? (await source.prepare());
  try {
    let remote = await dest.upload({
      folder: target.folder,
      name: target.name,
      item,
      size,
      open: (offset) => source.open(offset),
      ...session,
      sourceDigest: () => source.hashRest(),
      tags: { sourceKey: item.key, size: size ?? 0, md5: item.md5?.toLowerCase() ?? '' },
      finalMd5: () => source.digest().md5,
      signal: upload.signal,
    });
    // A bad copy of ours that the resumed session did not replace.
    if (target.existing && target.existing.id !== remote.id) await dest.remove(target.existing);
    if (remote.md5 === undefined || remote.size === undefined) remote = (await dest.stat(remote)) ?? remote;
    // Bytes the destination had before this attempt (a session that finished before a crash, an
    // adopted PUT) are read from the source, not sent, so that the whole file is verified.
    if (source.digest().size < remote.size) await source.hashRest();
    return { remote, digest: source.digest() };
  } catch (err) {
    // The source's own failure explains an aborted upload better than the abort does.
    throw upload.signal.aborted && !signal.aborted && upload.signal.reason instanceof Error
      ? upload.signal.reason
      : err;
  } finally {
    signal.removeEventListener('abort', onCancel);
    source.close();
  }
}
