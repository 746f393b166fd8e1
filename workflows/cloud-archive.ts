// One gallery archive -> Google Drive / Yandex Disk request, from consent to the platform's done call.
// The pending request *is* this workflow: it waits for the OAuth callback (an update, accepted once)
// or expires by itself; the PKCE verifier and the tokens live only in its encrypted payloads.
import {
  allHandlersFinished,
  condition,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { GalleryActivities, PreparedPlan } from '../activities/gallery/types';
import {
  authorizeUpdate,
  callbackInfoQuery,
  copyWorkflowIdOf,
  providerOf,
  statusQuery,
  workflowIdOf,
  type CloudArchiveInput,
  type CloudArchiveState,
  type CloudArchiveStatus,
} from '../lib/jobs/cloud-archive';
import type { CopySummary, DestinationCredentials } from '../lib/jobs/copy-to-cloud';
import {
  failure,
  failureReason,
  FailureType,
  finalFailure,
  NON_RETRYABLE_FAILURES,
  type FailureReason,
} from '../lib/failures';
import { FerryStatus } from '../lib/search-attributes';
import { briefProblem } from '../lib/text-limits';
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

const MAX_REPORTED = 1000;

export async function cloudArchive(input: CloudArchiveInput): Promise<CloudArchiveStatus> {
  const { request, settings } = input;
  const cloud = request.cloud_type;
  const status: CloudArchiveStatus = {
    id: input.requestId,
    state: 'awaiting_authorization',
    gallery_name: request.gallery_name,
    cloud_type: cloud,
    archive_type: request.archive_type,
    created_at: input.createdAt,
    expires_at: new Date(Date.parse(input.createdAt) + settings.authTimeoutMs).toISOString(),
    progress: { files: { total: 0, done: 0, failed: 0 }, bytes: { total: 0, done: 0, failed: 0 } },
    report: null,
    error: null,
  };
  const setState = (state: CloudArchiveState) => {
    status.state = state;
    upsertSearchAttributes([{ key: FerryStatus, value: state }]);
  };
  const finishFailed = async (state: 'failed' | 'expired', error: FailureReason) => {
    status.error = error;
    setState(state);
    await condition(allHandlersFinished);
    return finalFailure(error);
  };

  setHandler(statusQuery, () => status);
  setHandler(callbackInfoQuery, () => ({ state: status.state, failLink: request.redirect_fail_link }));

  let claimed = false;
  let credentials: DestinationCredentials | undefined;
  setHandler(
    authorizeUpdate,
    async ({ code, error }) => {
      claimed = true;
      const fail = (type: FailureType, message: string) => {
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
        const e = failureReason(err);
        return fail(FailureType.AuthorizationDenied, e.message);
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

  // 1. Consent, or expiry. An update that arrived in the same instant as the timer still wins.
  await condition(() => claimed, settings.authTimeoutMs);
  if (!claimed) {
    throw await finishFailed('expired', {
      type: FailureType.AuthorizationExpired,
      message: 'the authorization request expired before the user gave consent',
    });
  }
  await condition(() => credentials !== undefined || status.error !== null);
  if (!credentials) throw await finishFailed('failed', status.error!);
  const grant = credentials;
  // The tokens were for this one transfer: once it no longer needs them, the grant ends at the provider.
  // (patched: workflows already running when this shipped replay without it.)
  const revokeGrant = async () => {
    if (!patched('revoke-cloud-grant')) return;
    await revokeCloudAccess(grant).catch(() => undefined);
  };

  // 2. The listing, stored as a plan in PostgreSQL (never one big payload).
  setState('listing');
  let prepared: PreparedPlan;
  try {
    prepared = await prepareArchivePlan({
      planId: workflowIdOf(input.requestId),
      archiveUrl: request.archive_url,
      galleryName: request.gallery_name,
    });
  } catch (err) {
    await revokeGrant();
    throw await finishFailed('failed', failureReason(err));
  }
  const { plan } = prepared;
  status.progress.files = { total: plan.total + prepared.rejectedCount, done: 0, failed: prepared.rejectedCount };
  status.progress.bytes = {
    total: plan.totalBytes + prepared.rejectedBytes,
    done: 0,
    failed: prepared.rejectedBytes,
  };

  // 3. The copy engine, as a child (its own history; the API queries it for live progress).
  setState('copying');
  let summary: CopySummary | undefined;
  let copyError: { type: string; message: string } | undefined;
  try {
    summary = await executeChild(copyToCloud, {
      workflowId: copyWorkflowIdOf(input.requestId),
      args: [
        {
          plan,
          destination: { cloud, rootFolder: prepared.rootFolder, credentials },
          options: {
            maxAttempts: settings.copyMaxAttempts,
            allowedSourceHosts: prepared.allowedSourceHosts,
            allowPrivateNetwork: prepared.allowPrivateNetwork,
          },
        },
      ],
    });
  } catch (err) {
    copyError = failureReason(err);
  }
  credentials = undefined;
  await revokeGrant();

  const done = summary ? summary.copied + summary.alreadyThere : 0;
  const failedInCopy = summary ? summary.failed : plan.total;
  const failedPhotos = failedInCopy + prepared.rejectedCount;
  status.progress.files = { total: plan.total + prepared.rejectedCount, done, failed: failedPhotos };
  const bytesDone = summary?.bytesDone ?? 0;
  status.progress.bytes = {
    total: plan.totalBytes + prepared.rejectedBytes,
    done: bytesDone,
    failed: prepared.rejectedBytes + (failedInCopy ? Math.max(0, plan.totalBytes - bytesDone) : 0),
  };
  status.report = {
    failed_photos: failedPhotos,
    copied: summary?.copied ?? 0,
    already_there: summary?.alreadyThere ?? 0,
    failed: [
      ...prepared.rejected,
      ...(summary?.failures ?? []).map((f) =>
        briefProblem(f.relPath, f.error ? `${f.error.type}: ${f.error.message}` : 'failed'),
      ),
    ].slice(0, MAX_REPORTED),
    renamed: (summary?.renamed ?? []).map((r) => ({ name: r.relPath, from: r.renamedFrom ?? r.relPath })),
    notified_at: null,
  };
  if (copyError) status.error = copyError;

  // 4. Tell the platform, retried until it listens (hours, capped backoff): it must learn the outcome.
  setState('notifying');
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
  try {
    await notifyGalleryDone({
      cloud_type: cloud,
      failed_photos: failedPhotos,
      archive_type: request.archive_type,
      // With many users at once, the three fields above do not say which gallery finished.
      archive_url: request.archive_url,
      gallery_name: request.gallery_name,
      id: input.requestId,
    });
    status.report.notified_at = new Date().toISOString();
  } catch (err) {
    throw await finishFailed('failed', {
      type: FailureType.GalleryNotNotified,
      message: failureReason(err).message,
    });
  }

  if (copyError) throw await finishFailed('failed', copyError);
  setState('done');
  return status;
}
