// The photo-backup activities (VK, OK: one plan, one copy engine, one report): list the source, build
// and store the copy plan, keep a scheduled backup's ledger, and write the report next to the photos.
import { Context } from '@temporalio/activity';
import { FailureType, failure } from '../../lib/failures';
import type { PhotoSourceKind } from '../../lib/jobs/photo-backup';
import { createDestination } from '../clouds';
import type { DestinationFactory } from '../copy';
import { PlanStore } from '../copy/plan-store';
import type { ActivityDeps } from '../deps';
import { okPhotoSource } from '../ok';
import { vkPhotoSource } from '../vk';
import { ledgerReport, pinnedNames, recordLedger } from './ledger';
import { buildPhotoPlan } from './plan';
import { uploadReportFile } from './report';
import type { PhotoSource } from './source';
import type { PhotoBackupActivities, PlanPhotoBackupResult } from './types';

export function createPhotoBackupActivities(
  deps: ActivityDeps,
  opts: { destinationFor?: DestinationFactory } = {},
): PhotoBackupActivities {
  const destinationFor = opts.destinationFor ?? ((spec) => createDestination(spec, deps.config));
  const { config, logger } = deps;
  const sources: Record<PhotoSourceKind, PhotoSource> = { vk: vkPhotoSource(config), ok: okPhotoSource(config) };
  const heartbeat = (details: unknown) => {
    try {
      Context.current().heartbeat(details);
    } catch {
      // Outside an activity (direct calls in tests): nothing to heartbeat.
    }
  };
  const needPool = (what: string) => {
    if (!deps.pool) throw new Error(`${what} needs DATABASE_URL (the plan store)`);
    return deps.pool;
  };

  return {
    async planPhotoBackup(input): Promise<PlanPhotoBackupResult> {
      const pool = needPool('planPhotoBackup');
      const source = Object.hasOwn(sources, input.source) ? sources[input.source] : undefined;
      if (!source) {
        throw failure(FailureType.InvalidInput, `unknown photo source "${String(input.source)}"`);
      }
      const { owner, photos } = await source.list({
        user: input.user,
        album: input.album,
        limit: input.count,
        token: input.token,
        onPage: (listed) => heartbeat({ phase: 'listing', listed }),
      });
      const guard = { allowedHosts: source.fileHosts, allowPrivateNetwork: config.FERRY_ALLOW_PRIVATE_NETWORK };
      const plan = await buildPhotoPlan(photos, {
        guard,
        onProgress: (probed) => heartbeat({ phase: 'sizing', probed }),
        ...(input.ledgerId && { pinned: await pinnedNames(pool, input.ledgerId) }),
      });
      const ref = await new PlanStore(pool).save(input.planId, plan.items);
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

    async recordBackupLedger(input) {
      const pool = needPool('recordBackupLedger');
      await recordLedger(pool, input.ledgerId, input.entries);
      return ledgerReport(pool, input.ledgerId);
    },
  };
}
