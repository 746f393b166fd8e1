// One gallery archive -> Google Drive / Yandex Disk request, from consent to the platform's done call.
// The pending request *is* this workflow: it waits for the OAuth callback (an update, accepted once)
// or expires by itself; the PKCE verifier and the tokens live only in its encrypted payloads.
// The flow, step by step: docs/gallery-archive.md.
import { condition, executeChild, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { GalleryActivities, PreparedPlan } from '../activities/gallery/types';
import type { CloudArchiveInput, CloudArchiveStatus } from '../lib/jobs/cloud-archive';
import {
  authorizeUpdate,
  callbackInfoQuery,
  copyWorkflowIdOf,
  providerOf,
  statusQuery,
  workflowIdOf,
} from '../lib/jobs/cloud-archive';
import type { CopySummary, DestinationCredentials } from '../lib/jobs/copy-to-cloud';
import { failure, failureReason, FailureType, NON_RETRYABLE_FAILURES, type FailureReason } from '../lib/failures';
import { ArchiveStatus } from './cloud-archive-status';
import { copyToCloud } from './copy-to-cloud';

// The user is waiting on the callback: a few quick attempts, then the fail link.
const { exchangeAuthorizationCode } = proxyActivities<GalleryActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3, initialInterval: '1s', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});
const { prepareArchivePlan } = proxyActivities<GalleryActivities>({
  startToCloseTimeout: '10m',
  retry: { maximumAttempts: 5, initialInterval: '5s', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

// Best effort, a few quick tries: the transfer's outcome never depends on it (the provider may also
// refuse, e.g. a Yandex token issued without a device id).
const { revokeCloudAccess } = proxyActivities<GalleryActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, initialInterval: '2s', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

export async function cloudArchive(input: CloudArchiveInput): Promise<CloudArchiveStatus> {
  const archive = new ArchiveStatus(input);
  setHandler(statusQuery, () => archive.status);
  setHandler(callbackInfoQuery, () => ({ state: archive.status.state, failLink: input.request.redirect_fail_link }));

  const grant = await consent(input, archive);
  const prepared = await listGallery(input, archive, grant);
  const copyError = await copyGallery(input, archive, prepared, grant);
  await notifyGallery(input, archive);
  if (copyError) throw await archive.fail('failed', copyError);
  archive.setState('done');
  return archive.status;
}

/** 1. The OAuth callback's code exchanged for the grant, or expiry. */
async function consent(input: CloudArchiveInput, archive: ArchiveStatus): Promise<DestinationCredentials> {
  const { request } = input;
  const cloud = request.cloud_type;
  const { status } = archive;
  let claimed = false;
  let credentials: DestinationCredentials | undefined;
  setHandler(
    authorizeUpdate,
    async ({ code, error }) => {
      claimed = true;
      const fail = (type: string, message: string) => {
        status.error = { type, message };
        return { ok: false, redirect: request.redirect_fail_link };
      };
      if (error) return fail(FailureType.AuthorizationDenied, `the provider answered error=${error.slice(0, 100)}`);
      if (!code) return fail(FailureType.AuthorizationDenied, 'the provider sent no authorization code');
      try {
        credentials = await exchangeAuthorizationCode({
          cloud,
          code,
          codeVerifier: input.codeVerifier,
          redirectUri: input.redirectUri,
        });
        return { ok: true, redirect: request.redirect_success_link };
      } catch (err) {
        return fail(FailureType.AuthorizationDenied, failureReason(err).message);
      }
    },
    {
      // Runs before the update is accepted into history: a second callback never reaches the handler.
      validator: ({ provider }) => {
        if (claimed || status.state !== 'awaiting_authorization') {
          const type =
            status.state === 'expired' ? FailureType.AuthorizationExpired : FailureType.AuthorizationAlreadyUsed;
          throw failure(type, `this authorization request is ${status.state}`, { nonRetryable: false });
        }
        if (provider !== providerOf(cloud)) {
          throw failure(
            FailureType.AuthorizationWrongProvider,
            `this request is for ${providerOf(cloud)}, not ${provider}`,
          );
        }
      },
    },
  );

  // An update that arrived in the same instant as the timer still wins.
  await condition(() => claimed, input.settings.authTimeoutMs);
  if (!claimed) {
    throw await archive.fail('expired', {
      type: FailureType.AuthorizationExpired,
      message: 'the authorization request expired before the user gave consent',
    });
  }
  await condition(() => credentials !== undefined || status.error !== null);
  if (!credentials) throw await archive.fail('failed', status.error!);
  return credentials;
}

/**
 * The tokens were for this one transfer: once it no longer needs them, the grant ends at the provider.
 * (patched: workflows already running when this shipped replay without it.)
 */
async function revoke(grant: DestinationCredentials): Promise<void> {
  if (!patched('revoke-cloud-grant')) return;
  await revokeCloudAccess(grant).catch(() => undefined);
}

/** 2. The listing, stored as a plan in PostgreSQL (never one big payload). */
async function listGallery(
  input: CloudArchiveInput,
  archive: ArchiveStatus,
  grant: DestinationCredentials,
): Promise<PreparedPlan> {
  archive.setState('listing');
  let prepared: PreparedPlan;
  try {
    prepared = await prepareArchivePlan({
      planId: workflowIdOf(input.requestId),
      archiveUrl: input.request.archive_url,
      galleryName: input.request.gallery_name,
    });
  } catch (err) {
    await revoke(grant);
    throw await archive.fail('failed', failureReason(err));
  }
  archive.listed(prepared);
  return prepared;
}

/**
 * 3. The copy engine, as a child (its own history; the API queries it for live progress), then the
 * grant revoked. Resolves to why the copy failed, if it did: the platform is told either way.
 */
async function copyGallery(
  input: CloudArchiveInput,
  archive: ArchiveStatus,
  prepared: PreparedPlan,
  grant: DestinationCredentials,
): Promise<FailureReason | undefined> {
  archive.setState('copying');
  let summary: CopySummary | undefined;
  let copyError: FailureReason | undefined;
  try {
    summary = await executeChild(copyToCloud, {
      workflowId: copyWorkflowIdOf(input.requestId),
      args: [
        {
          plan: prepared.plan,
          destination: { cloud: input.request.cloud_type, rootFolder: prepared.rootFolder, credentials: grant },
          options: {
            maxAttempts: input.settings.copyMaxAttempts,
            allowedSourceHosts: prepared.allowedSourceHosts,
            allowPrivateNetwork: prepared.allowPrivateNetwork,
          },
        },
      ],
    });
  } catch (err) {
    copyError = failureReason(err);
  }
  await revoke(grant);
  archive.copied(prepared, summary);
  if (copyError) archive.status.error = copyError;
  return copyError;
}

/** 4. Tell the platform, retried until it listens (hours, capped backoff): it must learn the outcome. */
async function notifyGallery(input: CloudArchiveInput, archive: ArchiveStatus): Promise<void> {
  const { request, settings } = input;
  archive.setState('notifying');
  const { notifyGalleryDone } = proxyActivities<GalleryActivities>({
    startToCloseTimeout: '1m',
    scheduleToCloseTimeout: settings.doneRetry.deadlineMs,
    retry: {
      initialInterval: settings.doneRetry.initialMs,
      maximumInterval: settings.doneRetry.maxMs,
      backoffCoefficient: 2,
      // No attempt limit: the schedule-to-close deadline above is the only end.
    },
  });
  const report = archive.status.report!;
  try {
    await notifyGalleryDone({
      cloud_type: request.cloud_type,
      failed_photos: report.failed_photos,
      archive_type: request.archive_type,
      // With many users at once, the three fields above do not say which gallery finished.
      archive_url: request.archive_url,
      gallery_name: request.gallery_name,
      id: input.requestId,
    });
    report.notified_at = new Date().toISOString();
  } catch (err) {
    throw await archive.fail('failed', { type: FailureType.GalleryNotNotified, message: failureReason(err).message });
  }
}
