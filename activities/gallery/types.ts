// The gallery archive activities' signatures, importable by workflows (types only, no I/O).
import type { FileProblem } from '../../lib/jobs/cloud-archive';
import type { PlanRef } from '../../lib/jobs/copy-to-cloud';
import type { createGalleryActivities } from './index';

export type GalleryActivities = ReturnType<typeof createGalleryActivities>;

export interface PreparedPlan {
  plan: PlanRef;
  /** The gallery's folder at the destination (the sanitised gallery name). */
  rootFolder: string;
  /** Entries set aside before copying (invalid, or a file URL the worker may not fetch). */
  rejected: FileProblem[];
  rejectedCount: number;
  rejectedBytes: number;
  /** The worker's own fetch rules, handed to the copy engine. */
  allowedSourceHosts: string[];
  allowPrivateNetwork: boolean;
}
