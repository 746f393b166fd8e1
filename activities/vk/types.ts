// The photo-backup activities' signatures, importable by workflows (types only, no I/O).
import type { DestinationSpec, PlanRef } from '../../lib/copy-plan';

// Only VK for now: OK's photos.getPhotos response could not be confirmed from public docs (see the README).
export type PhotoSourceKind = 'vk';

export interface PlanPhotoBackupInput {
  source: PhotoSourceKind;
  user: string;
  album: string;
  /** Newest N photos; undefined = all. */
  count?: number;
  /** The source token; the worker's VK_TOKEN when absent. Travels encrypted (payload codec). */
  token?: string;
  planId: string;
}

export interface KeyedReportEntry {
  key: string;
  file_name: string;
  size: string;
}

export interface PlanPhotoBackupResult {
  plan: PlanRef;
  owner: { id: string; name: string };
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

export interface PhotoBackupActivities {
  planPhotoBackup(input: PlanPhotoBackupInput): Promise<PlanPhotoBackupResult>;
  uploadBackupReport(input: UploadReportInput): Promise<{ path: string; status: 'written' | 'unchanged' }>;
}
