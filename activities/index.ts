// Every activity of the `ferry` task queue, composed from one factory per outside system.
import type { ActivityDeps } from './deps';

export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type FerryActivities = ReturnType<typeof createActivities>;
