// The one small interface every cloud implements (rclone's `Fs`, in Ferry's size). The copy engine
// (activities/copy/) talks only to this; Google Drive and Yandex Disk live behind it.
import type { Readable } from 'node:stream';
import type { CloudKind, CopyPlanItem } from '../../lib/jobs/copy-to-cloud';

/** A folder at the destination: an id (Drive) or a path (Yandex), opaque to the engine. */
export interface FolderRef {
  id: string;
  path: string;
}

export interface RemoteFile {
  id: string;
  /** Human-readable path under the destination root, for reports. */
  path: string;
  name: string;
  size: number;
  md5?: string;
  /** The source key Ferry tagged the file with (Drive appProperties / Yandex custom_properties). */
  sourceKey?: string;
}

/**
 * Resumable-upload state, one case per destination, stored durably by the engine (PostgreSQL,
 * activities/copy/checkpoints.ts) and handed to the next attempt: JSON-serialisable.
 */
export type UploadCheckpoint = DriveCheckpoint | YandexCheckpoint;

interface CheckpointProgress {
  /** Bytes the destination has confirmed. */
  confirmedOffset: number;
  /** The file's size as the upload knows it; 0 when unknown. */
  total: number;
}

/** A Drive resumable session and the offset Drive confirmed on it. */
export interface DriveCheckpoint extends CheckpointProgress {
  kind: 'drive';
  /** The session URI: a secret (it takes bytes without any other credential), stored encrypted. */
  sessionUri: string;
}

/**
 * The Yandex operation an upload started, known before it is asked: an upload link's (`upload`, whose
 * confirmedOffset = total once its PUT was answered, every byte delivered) or an upload from URL's
 * (`fetch`, Yandex fetching the source itself).
 */
export interface YandexCheckpoint extends CheckpointProgress {
  kind: 'yandex';
  operation: 'upload' | 'fetch';
  operationId: string;
}

export interface UploadRequest {
  folder: FolderRef;
  name: string;
  item: CopyPlanItem;
  /** Exact size when known (plan or source Content-Length). */
  size?: number;
  /** Opens the source at `offset` (HTTP Range when offset > 0); the stream yields bytes from there. */
  open(offset: number): Promise<Readable>;
  /** From a previous attempt (on any worker, before any crash): resume instead of starting over where the destination allows. */
  checkpoint?: UploadCheckpoint;
  /**
   * Called when a session is opened and as the destination confirms bytes. Await it: a new session is
   * written durably before it resolves, so that no byte is sent on a session a crash could lose; a
   * confirmed offset is queued (one row update per confirmed chunk) and resolves at once.
   */
  onCheckpoint?(checkpoint: UploadCheckpoint): void | Promise<void>;
  /**
   * Reads (never uploads) the source as far as the upload has not, and answers the whole file's size
   * and md5: lets an adapter check that a file it is about to adopt holds the source's bytes.
   */
  sourceDigest?(): Promise<{ size: number; md5: string }>;
  /** `checkpoint` points at a name another file holds: forget it, so that the next attempt probes afresh. */
  dropCheckpoint?(): Promise<void>;
  /** Tags to store with the file so a later run recognises it (source key, size, md5). */
  tags: { sourceKey: string; size: number; md5: string };
  /** The md5 of the bytes, known only after the stream ended: adapters that tag after upload read it here. */
  finalMd5?: () => string | undefined;
  signal?: AbortSignal;
}

export interface UploadFromUrlRequest {
  folder: FolderRef;
  name: string;
  item: CopyPlanItem;
  signal?: AbortSignal;
  /** An earlier attempt's fetch operation: adopted when it succeeded, instead of fetching again. */
  checkpoint?: UploadCheckpoint;
  /** As UploadRequest's: awaited, written before the cloud is asked to fetch anything. */
  onCheckpoint?(checkpoint: UploadCheckpoint): void | Promise<void>;
  dropCheckpoint?(): Promise<void>;
}

export interface ProbeResult {
  existing?: RemoteFile;
  freeName: string;
}

/**
 * A folder's files, listed once (paged): answers `probe` for many items of the folder as the
 * destination's own probe would, without a request each (rclone's way: list a folder once).
 */
export interface FolderIndex {
  /** How many files it holds (what a worker's listings are bounded by). */
  readonly files: number;
  probe(name: string, item: CopyPlanItem): Promise<ProbeResult>;
  /** A name about to be uploaded to: later probes of this index see it as held by another file. */
  claim(name: string): void;
}

export interface Destination {
  readonly cloud: CloudKind;
  /** Creates every missing level of `relDir` under the root ('' is the root itself). Idempotent. */
  ensureFolder(relDir: string): Promise<FolderRef>;
  /**
   * What is at `name` in `folder` for this item: a file already tagged with the item's key (a previous
   * run or attempt), and a free name to use (the wanted name, or a suffixed one when a different file
   * holds it: never overwrite silently).
   */
  probe(folder: FolderRef, name: string, item: CopyPlanItem): Promise<ProbeResult>;
  /**
   * Optional: lists `folder` once (paged) for many probes. A listing is a snapshot: the engine asks
   * `probe` afresh for an item an earlier attempt may have uploaded since.
   */
  listFolder?(folder: FolderRef): Promise<FolderIndex>;
  /** Streams the bytes up; resumes from `checkpoint` when possible. Returns the stored file's metadata. */
  upload(req: UploadRequest): Promise<RemoteFile>;
  /**
   * Optional: the cloud fetches `item.sourceUrl` itself (Yandex upload from URL). When the cloud could
   * not fetch it, throws a retryable ApplicationFailure of type FailureType.RemoteFetchFailed (lib/failures.ts):
   * stream the item instead.
   */
  uploadFromUrl?(req: UploadFromUrlRequest): Promise<RemoteFile>;
  /** Fresh metadata (size/md5 as the cloud reports them), undefined when gone. */
  stat(file: RemoteFile): Promise<RemoteFile | undefined>;
  remove(file: RemoteFile): Promise<void>;
}
