// The photo-backup activities (VK, and OK through the same plan): list the source, build and store
// the copy plan, and write the report next to the photos.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../../lib/failures';
import { createDestination } from '../clouds';
import type { DestinationFactory } from '../copy';
import { PlanStore } from '../copy/plan-store';
import type { ActivityDeps } from '../deps';
import { vkApi } from './client';
import { buildPhotoPlan } from './plan';
import { listVkPhotos } from './source';
import { uploadReportFile } from './report';
import type { PhotoBackupActivities, PlanPhotoBackupInput, PlanPhotoBackupResult } from './types';

export function createVkActivities(
  deps: ActivityDeps,
  opts: { destinationFor?: DestinationFactory } = {},
): PhotoBackupActivities {
  const destinationFor = opts.destinationFor ?? ((spec) => createDestination(spec, deps.config));
  const { config, logger } = deps;
  const heartbeat = (details: unknown) => {
    try {
      Context.current().heartbeat(details);
    } catch {
      // Outside an activity (direct calls in tests): nothing to heartbeat.
    }
  };

  async function listSource(input: PlanPhotoBackupInput) {
    if (input.source !== 'vk') {
      throw ApplicationFailure.create({
        type: FailureType.InvalidInput,
        message: `unknown photo source "${String(input.source)}"`,
        nonRetryable: true,
      });
    }
    const token = input.token ?? config.VK_TOKEN;
    if (!token) {
      throw ApplicationFailure.create({
        type: FailureType.AuthRevoked,
        message: 'no VK token: set VK_TOKEN (or pass one with the request)',
        nonRetryable: true,
      });
    }
    const api = vkApi({ baseUrl: config.VK_API_URL, token, requestsPerSecond: config.VK_REQUESTS_PER_SECOND });
    return listVkPhotos(api, {
      user: input.user,
      album: input.album,
      limit: input.count,
      onPage: (listed) => heartbeat({ phase: 'listing', listed }),
    });
  }

  return {
    async planPhotoBackup(input): Promise<PlanPhotoBackupResult> {
      if (!deps.pool) throw new Error('planPhotoBackup needs DATABASE_URL (the plan store)');
      const { owner, photos } = await listSource(input);
      const guard = { allowedHosts: config.VK_FILE_HOSTS, allowPrivateNetwork: config.FERRY_ALLOW_PRIVATE_NETWORK };
      const plan = await buildPhotoPlan(photos, {
        guard,
        onProgress: (probed) => heartbeat({ phase: 'sizing', probed }),
      });
      const ref = await new PlanStore(deps.pool).save(input.planId, plan.items);
      logger.info(
        { source: input.source, owner: owner.id, photos: ref.total, skipped: plan.skipped },
        'photo backup planned',
      );
      return {
        plan: ref,
        owner,
        report: plan.report,
        skipped: plan.skipped,
        copyOptions: { allowedSourceHosts: guard.allowedHosts, allowPrivateNetwork: guard.allowPrivateNetwork },
      };
    },

    async uploadBackupReport(input) {
      return uploadReportFile(destinationFor(input.destination), input);
    },
  };
}
