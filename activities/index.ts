// Every activity of the `ferry` task queue, composed from one factory per outside system.
import { createCopyActivities } from './copy';
import type { ActivityDeps } from './deps';
import { createEtlActivities } from './etl/activities';
import { createGalleryActivities } from './gallery';
import { createVkActivities } from './vk';

export function createActivities(_deps: ActivityDeps) {
  return {
    ...createCopyActivities(_deps),
    ...createEtlActivities(_deps),
    ...createGalleryActivities(_deps),
    ...createVkActivities(_deps),
  };
}

export type FerryActivities = ReturnType<typeof createActivities>;
