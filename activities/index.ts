// Every activity of the `ferry` task queue, composed from one factory per outside system.
import type { ActivityDeps } from './deps';
import { createEtlActivities } from './etl/activities';
import { createGalleryActivities } from './gallery';

export function createActivities(_deps: ActivityDeps) {
  return {
    ...createEtlActivities(_deps),
    ...createGalleryActivities(_deps),
  };
}

export type FerryActivities = ReturnType<typeof createActivities>;
