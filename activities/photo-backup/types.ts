// The photo-backup activities' signatures, importable by workflows (types only, no I/O). Every photo
// source (VK, OK) goes through the same plan, the same copy engine and the same report.
import type { DestinationSpec, PlanRef } from '../../lib/jobs/copy-to-cloud';
import type { PhotoSourceKind } from '../../lib/jobs/photo-backup';

export interface PhotoOwner {
  id: string;
  name: string;
}

interface PlanPhotoBackupInput {
  source: PhotoSourceKind;
  user: string;
  album: string;
  /** Newest N photos; undefined = all. */
  count?: number;
  /** The source token; the worker's VK_TOKEN / OK_ACCESS_TOKEN when absent. Travels encrypted (payload codec). */
  token?: string;
  planId: string;
  /**
   * A scheduled backup's ledger (its schedule id): photos an earlier run backed up keep the name they
   * were given then, and new photos get names no earlier photo holds.
   */
  ledgerId?: string;
}

export interface KeyedReportEntry {
  key: string;
  file_name: string;
  size: string;
  /** Upload time (unix seconds) and the provider's id: the report's order, newest first. */
  date: number;
  photoId: string;
}

export interface PlanPhotoBackupResult {
  plan: PlanRef;
  owner: PhotoOwner;
  /** One line per planned photo, in plan order (newest first). */
  report: KeyedReportEntry[];
  /** Photos without any usable size, left out. */
  skipped: number;
  /** Where the plan's sources live, for the copy engine's SSRF guard (from the worker's config). */
  copyOptions: { allowedSourceHosts: string[]; allowPrivateNetwork: boolean };
}

export interface UploadReportInput {
  destination: DestinationSpec;
  /** The report file's text, written as `photos.json` in the destination's root folder. */
  text: string;
  /** Identifies the report across runs (`vk-report:<owner>`), so a re-run replaces rather than duplicates. */
  key: string;
}

interface RecordLedgerInput {
  ledgerId: string;
  /** The photos this run backed up (held by at least one target). */
  entries: KeyedReportEntry[];
}

export interface PhotoBackupActivities {
  planPhotoBackup(input: PlanPhotoBackupInput): Promise<PlanPhotoBackupResult>;
  uploadBackupReport(input: UploadReportInput): Promise<{ path: string; status: 'written' | 'unchanged' }>;
  /** Adds this run's photos to the ledger; answers every photo backed up so far, newest first. */
  recordBackupLedger(input: RecordLedgerInput): Promise<Array<{ file_name: string; size: string }>>;
}
