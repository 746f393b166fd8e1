// The gallery archive job's activities: the OAuth code exchange, the listing -> stored copy plan, and
// the completion callback to the platform.
import { Context } from '@temporalio/activity';
import type { DestinationCredentials } from '../../lib/jobs/copy-to-cloud';
import { briefProblem } from '../../lib/text-limits';
import type { ActivityDeps } from '../deps';
import { PlanStore } from '../copy/plan-store';
import { GalleryClient, type DoneBody } from './client';
import { entryProblem, ListingEntrySchema } from './listing';
import { exchangeCode, type ExchangeInput } from './oauth';
import { planBuilder, rootFolderFor } from './plan';
import { revokeGrant, type RevokeResult } from './revoke';
import type { PreparedPlan } from './types';

const hostMatches = (host: string, allowed: string[]) => allowed.some((a) => host === a || host.endsWith(`.${a}`));

export function createGalleryActivities(deps: ActivityDeps) {
  const gallery = new GalleryClient(deps.config);
  const signal = () => Context.current().cancellationSignal;

  /** Why the worker must not fetch `url`, or undefined when it may (the engine re-checks DNS on fetch). */
  function fileUrlProblem(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'file URL is not a valid URL';
    }
    const httpOk = deps.config.FERRY_ALLOW_PRIVATE_NETWORK && parsed.protocol === 'http:';
    if (parsed.protocol !== 'https:' && !httpOk) return `file URL scheme ${parsed.protocol} is not allowed`;
    if (parsed.username || parsed.password) return 'file URL carries credentials';
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!hostMatches(host, deps.config.GALLERY_FILE_HOSTS)) return `file host ${host} is not in GALLERY_FILE_HOSTS`;
    return undefined;
  }

  return {
    async exchangeAuthorizationCode(input: ExchangeInput): Promise<DestinationCredentials> {
      return exchangeCode(deps.config, input);
    },

    /** Fetches and validates the listing and stores the plan (idempotent: the same planId is replaced). */
    async prepareArchivePlan(input: {
      planId: string;
      archiveUrl: string;
      galleryName: string;
    }): Promise<PreparedPlan> {
      if (!deps.pool) throw new Error('prepareArchivePlan needs DATABASE_URL (the plan store)');
      const entries = await gallery.listing(input.archiveUrl, signal());
      const builder = planBuilder(fileUrlProblem);
      function* items() {
        for (const [index, raw] of entries.entries()) {
          // Each raw entry is dropped once turned into a plan item: the parsed listing (up to
          // GALLERY_LISTING_MAX_BYTES of JSON) shrinks as the plan is written, instead of being held whole.
          entries[index] = undefined;
          const parsed = ListingEntrySchema.safeParse(raw);
          if (!parsed.success) {
            const name = (raw as { name?: unknown } | null)?.name;
            const size = Number((raw as { filesize?: unknown } | null)?.filesize);
            builder.rejectedCount += 1;
            builder.rejectedBytes += Number.isSafeInteger(size) && size > 0 ? size : 0;
            if (builder.rejected.length < 1000) {
              builder.rejected.push(
                briefProblem(typeof name === 'string' ? name : `#${index}`, entryProblem(parsed.error)),
              );
            }
            continue;
          }
          const item = builder.add(parsed.data);
          if (item) yield item;
        }
      }
      const plan = await new PlanStore(deps.pool).save(input.planId, items());
      deps.logger.info(
        { planId: input.planId, total: plan.total, rejected: builder.rejectedCount },
        'gallery archive plan stored',
      );
      return {
        plan,
        rootFolder: rootFolderFor(input.galleryName),
        rejected: builder.rejected,
        rejectedCount: builder.rejectedCount,
        rejectedBytes: builder.rejectedBytes,
        allowedSourceHosts: deps.config.GALLERY_FILE_HOSTS,
        allowPrivateNetwork: deps.config.FERRY_ALLOW_PRIVATE_NETWORK,
      };
    },

    /** Ends the user's grant at the provider once the transfer no longer needs it. */
    async revokeCloudAccess(credentials: DestinationCredentials): Promise<RevokeResult> {
      const result = await revokeGrant(deps.config, credentials);
      const log = result.revoked ? deps.logger.info.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
      log({ cloud: credentials.cloud, ...result }, 'gallery transfer: provider grant revocation');
      return result;
    },

    async notifyGalleryDone(body: DoneBody): Promise<void> {
      await gallery.done(body, signal());
    },
  };
}
