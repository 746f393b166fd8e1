// The copy engine's contract (the copyToCloud workflow), shared by sources (gallery, VK, OK), the copy
// workflow, the clouds, the API and the CLI: the plan, where it goes, what a copy reports, and the
// progress query. Pure types and definitions: safe to import from workflows.
import { defineQuery } from '@temporalio/workflow';

/** One file to copy. `key` is the stable source identity (gallery file id, VK photo id). */
export interface CopyPlanItem {
  key: string;
  /** Path relative to the destination's root folder, '/'-separated, already sanitised. */
  relPath: string;
  sourceUrl: string;
  size?: number;
  /** CRC-32 as 8 lowercase hex digits. */
  crc32?: string;
  /** MD5 as 32 lowercase hex digits. */
  md5?: string;
  mimeType?: string;
  /** The source URL is publicly fetchable (e.g. VK's CDN): Yandex may fetch it itself (upload from URL). */
  publiclyFetchable?: boolean;
}

/**
 * A plan is stored once (PostgreSQL, `PlanStore` in activities/copy/) and passed around by reference:
 * a 20,000-item plan never travels as one Temporal payload.
 */
export interface PlanRef {
  planId: string;
  total: number;
  totalBytes: number;
}

export type CloudKind = 'google_drive' | 'yadisk';

export type DestinationCredentials =
  // clientId/clientSecret: set when the refresh token belongs to another OAuth client than the server's
  // (the CLI's installed-app flow); otherwise GOOGLE_CLIENT_ID/SECRET refresh it.
  | {
      cloud: 'google_drive';
      refreshToken?: string;
      accessToken?: string;
      expiresAt?: number;
      clientId?: string;
      clientSecret?: string;
    }
  | { cloud: 'yadisk'; token: string; refreshToken?: string };

export interface DestinationSpec {
  cloud: CloudKind;
  /** Root folder at the destination, '/'-separated (e.g. 'VK_Images' or 'My gallery'). */
  rootFolder: string;
  credentials: DestinationCredentials;
}

export interface CopyOptions {
  /** Files copied at once (default COPY_CONCURRENCY, 8). */
  concurrency?: number;
  /** Attempts per file, with growing delay (default COPY_MAX_ATTEMPTS, 5). */
  maxAttempts?: number;
  /** Yandex upload-from-URL for publicly fetchable items: 'auto' (default) or 'never' (always stream). */
  serverSideUpload?: 'auto' | 'never';
  /** Hosts the worker may fetch sources from (SSRF guard); undefined = no host restriction. */
  allowedSourceHosts?: string[];
  /** Permit private/loopback source addresses (local tests and demos). */
  allowPrivateNetwork?: boolean;
  /** A copyFile attempt that stops heartbeating for this long is retried elsewhere (default 30). */
  heartbeatTimeoutSeconds?: number;
  /** Plan items per child workflow (default 500: keeps every history far below 10,000 events). */
  pageSize?: number;
  /**
   * Small files copied together in one activity (default COPY_BATCH_FILES, 16): one Temporal task per
   * batch instead of one per photo. A file that fails in a batch is retried in a copyFile of its own.
   * 1 gives every file its own activity.
   */
  batchFiles?: number;
  /** Files up to this size (as the plan states it) may share a batch (default COPY_SMALL_FILE_BYTES, 8 MiB). */
  smallFileBytes?: number;
}

export type ItemStatus = 'copied' | 'already_there' | 'failed';

export interface CopyItemResult {
  key: string;
  relPath: string;
  status: ItemStatus;
  bytes: number;
  md5?: string;
  crc32?: string;
  destinationId?: string;
  destinationPath?: string;
  /** Set when a different file already had the name: the copy got a suffixed name instead. */
  renamedFrom?: string;
  error?: { type: string; message: string };
}

export interface CopyProgress {
  total: number;
  totalBytes: number;
  copied: number;
  alreadyThere: number;
  failed: number;
  bytesDone: number;
  current: string[];
}

/** A copyToCloud run's live counts (answered by the workflow while it copies). */
export const copyProgressQuery = defineQuery<CopyProgress>('copyProgress');

export interface CopySummary extends Omit<CopyProgress, 'current'> {
  planId: string;
  /** Failed items (the first 1,000 at most; the full per-item report is in PostgreSQL). */
  failures: CopyItemResult[];
  /** Items written under a suffixed name because another file had theirs. */
  renamed: CopyItemResult[];
}
