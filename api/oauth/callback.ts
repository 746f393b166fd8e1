// GET /oauth/{google,yandex}/callback: the provider sends the user back here. The state is verified
// (MAC) before anything else; the code goes to the pending workflow as an update, which accepts one
// authorization only and answers where to send the user. The user never sees a token.
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { Router } from 'express';
import { authorizeUpdate, callbackInfoQuery, workflowIdOf, type OAuthProvider } from '../../lib/jobs/cloud-archive';
import { failureReason, FailureType } from '../../lib/failures';
import type { ApiDeps } from '../deps';
import { HttpError, parseOr400 } from '../errors';
import { CallbackQuery } from '../routes/cloud-archive-schemas';
import { verifyState } from './state';

const UPDATE_DEADLINE_MS = 60_000;

const badState = (message: string) => new HttpError(400, 'invalid_state', message);

export function oauthCallbackRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/oauth/:provider/callback', async (req, res) => {
    const provider = req.params.provider;
    if (provider !== 'google' && provider !== 'yandex') {
      throw new HttpError(404, 'not_found', `No OAuth provider ${provider.slice(0, 32)}`);
    }
    const query = parseOr400(CallbackQuery, req.query, 'query');
    const requestId = verifyState(query.state, deps.config.encryptionKeys);
    if (!requestId) throw badState('The state parameter is not one this server issued');
    const handle = deps.temporal.workflow.getHandle(workflowIdOf(requestId));

    try {
      // The user's browser is waiting: answer within a minute even if no worker is there to run the update.
      const result = await deps.temporal.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        handle.executeUpdate(authorizeUpdate, {
          args: [
            {
              provider: provider as OAuthProvider,
              ...(query.code !== undefined && { code: query.code }),
              ...(query.error !== undefined && { error: query.error }),
            },
          ],
        }),
      );
      req.log.info({ requestId, ok: result.ok }, 'cloud_archive authorization');
      res.redirect(302, result.redirect);
      return;
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const rejection = failureReason(err);
        if (rejection.type === FailureType.AuthorizationExpired) return void res.redirect(302, await failLink());
        if (rejection.type === FailureType.AuthorizationWrongProvider) throw badState(rejection.message);
        throw badState('This authorization request was already used');
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        throw new HttpError(503, 'authorization_pending', 'The authorization could not be completed in time');
      }
      // Not found: the workflow has ended (expired, or finished after an earlier callback) or never existed.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    let info: { state: string; failLink: string };
    try {
      info = await handle.query(callbackInfoQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw badState('Unknown authorization request');
      throw err;
    }
    if (info.state === 'expired') return void res.redirect(302, info.failLink);
    throw badState('This authorization request was already used');

    async function failLink(): Promise<string> {
      return (await handle.query(callbackInfoQuery)).failLink;
    }
  });

  return router;
}
