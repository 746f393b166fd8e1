// What the photo-backup activities need of a photo source (VK, OK): list a user's photos, and the
// hosts those photos may be downloaded from (the copy engine's SSRF guard).
import type { SourcePhoto } from '../../lib/photo-naming';
import type { PhotoOwner } from './types';

interface PhotoListRequest {
  user: string;
  album: string;
  /** Newest N; undefined = all. */
  limit?: number;
  /** The user's token from the request; the source falls back to the worker's own. */
  token?: string;
  onPage?(listed: number): void;
}

export interface PhotoSource {
  list(req: PhotoListRequest): Promise<{ owner: PhotoOwner; photos: SourcePhoto[] }>;
  fileHosts: string[];
}
