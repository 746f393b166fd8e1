// Every activity of the `ferry` task queue, composed from one factory per outside system.
import { createCopyActivities } from './copy';
import type { ActivityDeps } from './deps';
import { createEtlActivities } from './etl/activities';
import { createGalleryActivities } from './gallery';
import { createPhotoBackupActivities } from './photo-backup';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCopyActivities(deps),
    ...createEtlActivities(deps),
    ...createGalleryActivities(deps),
    ...createPhotoBackupActivities(deps),
  };
}
