// Picks the adapter for a destination. The copy engine calls this and then speaks only `Destination`.
import type { Config } from '../../lib/config';
import type { DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import type { Destination } from './destination';
import { failure, FailureType } from '../../lib/failures';
import { createGoogleDriveDestination } from './google-drive';
import { createYandexDiskDestination } from './yandex-disk';

export function createDestination(spec: DestinationSpec, config: Config): Destination {
  switch (spec.cloud) {
    case 'google_drive':
      return createGoogleDriveDestination(spec, config);
    case 'yadisk':
      return createYandexDiskDestination(spec, config);
    default:
      throw failure(FailureType.InvalidInput, `unknown cloud ${String((spec as { cloud: unknown }).cloud)}`);
  }
}

export type { Destination } from './destination';
