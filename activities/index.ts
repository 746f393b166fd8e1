// Every activity of the `ferry` task queue, composed from one factory per outside system.
import { createCopyActivities } from './copy';
import type { ActivityDeps } from './deps';
import { createEtlActivities } from './etl/activities';
import { createGalleryActivities } from './gallery';
import { createPhotoBackupActivities } from './photo-backup';

export function createActivities(_deps: ActivityDeps) {
  return {
    ...createCopyActivities(_deps),
    ...createEtlActivities(_deps),
    ...createGalleryActivities(_deps),
    ...createPhotoBackupActivities(_deps),
  };
}

export type FerryActivities = ReturnType<typeof createActivities>;
