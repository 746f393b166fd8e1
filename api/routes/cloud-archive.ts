// The gallery's cloud_archive API: start a request (-> the provider's consent page), read its status.
// The OAuth callbacks that complete a request are in api/oauth/callback.ts.
import { WorkflowNotFoundError } from '@temporalio/client';
import { rateLimit } from 'express-rate-limit';
import { Router } from 'express';
import type { Config } from '../../lib/config';
import { ConfigError } from '../../lib/config';
import {
  copyWorkflowIdOf,
  providerOf,
  statusQuery,
  workflowIdOf,
  type CloudArchiveInput,
  type CloudArchiveStatus,
} from '../../lib/jobs/cloud-archive';
import { copyProgressQuery, type CopyProgress } from '../../lib/jobs/copy-to-cloud';
import { FerryCloudType, FerryJob, FerryStatus } from '../../lib/search-attributes';
import type { cloudArchive } from '../../workflows/cloud-archive';
import type { ApiDeps } from '../deps';
import { HttpError, parseOr400 } from '../errors';
import { oauthCallbackRoutes } from '../oauth/callback';
import { newPkce } from '../oauth/pkce';
import { authorizationUrl, callbackUrl } from '../oauth/providers';
import { isRequestId, newRequestId, signState } from '../oauth/state';
import { CloudArchiveBody, registerCloudArchivePaths } from './cloud-archive-schemas';

registerCloudArchivePaths();

/** Why `value` may not be used as a link/URL here, or undefined when it may. Hosts match exactly. */
function urlProblem(value: string, hosts: string[], allowHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!hosts.includes(host)) return `host ${host} is not allowed`;
  return undefined;
}

/** The request schema plus the checks that depend on configuration (allowlists, the local-test switch). */
function requestSchema(config: Config) {
  const allowHttp = config.FERRY_ALLOW_PRIVATE_NETWORK;
  return CloudArchiveBody.superRefine((body, ctx) => {
    const checks = [
      ['archive_url', config.GALLERY_ALLOWED_HOSTS],
      ['redirect_success_link', config.REDIRECT_ALLOWED_HOSTS],
      ['redirect_fail_link', config.REDIRECT_ALLOWED_HOSTS],
    ] as const;
    for (const [field, hosts] of checks) {
      const problem = urlProblem(body[field], hosts, allowHttp);
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem });
    }
  });
}

export function cloudArchiveRoutes(deps: ApiDeps): Router {
  const { config } = deps;
  const router = Router();
  const schema = requestSchema(config);
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: config.CLOUD_ARCHIVE_RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(new HttpError(429, 'rate_limited', 'Too many cloud_archive requests from this address; retry later')),
  });

  router.post('/cloud_archive', limiter, async (req, res) => {
    const request = parseOr400(schema, req.body);
    const provider = providerOf(request.cloud_type);
    const requestId = newRequestId();
    const { codeVerifier, codeChallenge } = newPkce();
    const state = signState(requestId, config.encryptionKeys);
    let redirectTo: string;
    try {
      redirectTo = authorizationUrl(config, provider, { state, codeChallenge, requestId });
    } catch (err) {
      if (err instanceof ConfigError) {
        throw new HttpError(503, 'cloud_not_configured', `${request.cloud_type} is not configured on this server`);
      }
      throw err;
    }
    const input: CloudArchiveInput = {
      requestId,
      request,
      codeVerifier,
      redirectUri: callbackUrl(config, provider),
      createdAt: new Date().toISOString(),
      settings: {
        authTimeoutMs: config.CLOUD_ARCHIVE_AUTH_TIMEOUT_SECONDS * 1000,
        copyMaxAttempts: config.COPY_MAX_ATTEMPTS,
        doneRetry: {
          initialMs: config.GALLERY_DONE_RETRY_INITIAL_SECONDS * 1000,
          maxMs: config.GALLERY_DONE_RETRY_MAX_SECONDS * 1000,
          deadlineMs: config.GALLERY_DONE_RETRY_HOURS * 3_600_000,
        },
      },
    };
    await deps.temporal.workflow.start<typeof cloudArchive>('cloudArchive', {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: workflowIdOf(requestId),
      args: [input],
      // Plaintext in Temporal's index: no gallery name here (it travels encrypted in the input).
      typedSearchAttributes: [
        { key: FerryJob, value: 'cloud_archive' },
        { key: FerryCloudType, value: request.cloud_type },
        { key: FerryStatus, value: 'awaiting_authorization' },
      ],
    });
    req.log.info({ requestId, cloud: request.cloud_type }, 'cloud_archive request started');
    res.json({ redirect_to: redirectTo, id: requestId, status_url: `/cloud_archive/${requestId}` });
  });

  router.get('/cloud_archive/:id', async (req, res) => {
    const id = req.params.id;
    const notFound = new HttpError(404, 'not_found', `No cloud_archive request ${id.slice(0, 64)}`);
    if (!isRequestId(id)) throw notFound;
    let status: CloudArchiveStatus;
    try {
      status = await deps.temporal.workflow.getHandle(workflowIdOf(id)).query(statusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound;
      // The workflow answers queries through a worker: none is polling right now.
      deps.logger.warn({ err, id }, 'cloud_archive status query failed');
      throw new HttpError(503, 'status_unavailable', 'The status cannot be read right now; retry shortly');
    }
    if (status.state === 'copying') status = withLiveProgress(status, await copyProgress(deps, id));
    res.json(status);
  });

  router.use(oauthCallbackRoutes(deps));
  return router;
}

/** The copy child's own progress while it runs (undefined if it cannot answer right now). */
async function copyProgress(deps: ApiDeps, id: string): Promise<CopyProgress | undefined> {
  try {
    return await deps.temporal.workflow.getHandle(copyWorkflowIdOf(id)).query(copyProgressQuery);
  } catch {
    return undefined;
  }
}

function withLiveProgress(status: CloudArchiveStatus, p: CopyProgress | undefined): CloudArchiveStatus {
  if (!p) return status;
  const { files, bytes } = status.progress;
  // Entries rejected at listing time are already counted as failed in the parent's figures.
  return {
    ...status,
    progress: {
      files: { total: files.total, done: p.copied + p.alreadyThere, failed: files.failed + p.failed },
      bytes: { total: bytes.total, done: p.bytesDone, failed: bytes.failed },
    },
  };
}
