// `ferry login ok`: OK's client OAuth (apiok.ru "Client OAuth authorization", the flow OK's own JS SDK
// uses): connect.ok.ru/oauth/authorize?…&response_type=token sends the user to the app's redirect_uri with
// #access_token=…&session_secret_key=…&expires_in=… . Ferry checks the token with one signed
// users.getCurrentUser call and saves it. The session_secret_key is not kept: Ferry signs as a server
// does, with md5(access_token + application_secret_key), the worker's own signer (activities/ok/signature.ts).
import { signOkRequest } from '../../activities/ok/signature';
import { requireVars, type Config } from '../../lib/config';
import { formatTime, saveToken } from '../token-store';
import { expiryFrom, LoginFailed, pasteRedirect, type LoginIO } from './io';

const okVars = (config: Config) =>
  requireVars(
    config,
    ['OK_APPLICATION_ID', 'OK_APPLICATION_KEY', 'OK_APPLICATION_SECRET_KEY'],
    '`ferry login ok` (your OK app: its id, public key and secret key)',
  );

function okAuthorizeUrl(config: Config): string {
  const { OK_APPLICATION_ID } = okVars(config);
  const url = new URL(`${config.OK_OAUTH_URL.replace(/\/+$/, '')}/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: OK_APPLICATION_ID,
    scope: config.OK_OAUTH_SCOPE,
    response_type: 'token',
    redirect_uri: config.OK_OAUTH_REDIRECT_URI,
    layout: 'w',
  }).toString();
  return url.toString();
}

interface OkUser {
  uid?: string;
  name?: string;
  first_name?: string;
  last_name?: string;
  error_code?: number;
  error_msg?: string;
}

/** users.getCurrentUser, signed; one sentence for each way OK refuses (error codes: docs/ok-backup.md#errors). */
async function tokenOwner(config: Config, token: string): Promise<{ uid: string; name?: string }> {
  const { OK_APPLICATION_KEY, OK_APPLICATION_SECRET_KEY } = okVars(config);
  const body = new URLSearchParams(
    signOkRequest(
      { application_key: OK_APPLICATION_KEY, format: 'json', method: 'users.getCurrentUser' },
      { accessToken: token, applicationSecretKey: OK_APPLICATION_SECRET_KEY },
    ),
  );
  let answer: OkUser;
  try {
    const res = await fetch(config.OK_API_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    answer = (await res.json()) as OkUser;
  } catch (err) {
    throw new LoginFailed(`cannot reach OK to check the token: ${(err as Error).message}`, 'unavailable');
  }
  // Errors come as {error_code, error_msg, error_data}, whatever the HTTP status (docs/ok-backup.md#errors).
  if (answer.error_code !== undefined) {
    const detail = `OK error ${answer.error_code}: ${answer.error_msg ?? ''}`;
    if (answer.error_code === 102)
      throw new LoginFailed('this OK token has expired: open the link again, allow access and paste the new address');
    if (answer.error_code === 101 || answer.error_code === 104)
      throw new LoginFailed(
        `OK refused Ferry's app keys (${detail}): check OK_APPLICATION_KEY and OK_APPLICATION_SECRET_KEY`,
        'usage',
      );
    throw new LoginFailed(`OK refused this token (${detail}); open the link again and paste the new address`);
  }
  if (!answer.uid) throw new LoginFailed('OK answered users.getCurrentUser without a user id');
  const name = answer.name ?? ([answer.first_name, answer.last_name].filter(Boolean).join(' ') || undefined);
  return { uid: String(answer.uid), name };
}

export async function loginOk(config: Config, io: LoginIO): Promise<void> {
  const { token, params } = await pasteRedirect(io, {
    provider: 'OK',
    link: okAuthorizeUrl(config),
    redirectUri: config.OK_OAUTH_REDIRECT_URI,
    command: 'ferry login ok',
  });
  const owner = await tokenOwner(config, token);
  // With LONG_ACCESS_TOKEN OK gives 30 days (auto-extended at most once a day); without it, far less.
  const expiresAt = expiryFrom(params.get('expires_in'));
  const file = saveToken('ok', {
    accessToken: token,
    expiresAt,
    userId: owner.uid,
    userName: owner.name,
    clientId: config.OK_APPLICATION_ID,
  });
  io.say(
    `Saved the OK token of ${owner.name ?? 'user'} (id ${owner.uid}) to ${file} (0600); ` +
      (expiresAt ? `it expires ${formatTime(expiresAt)}.` : 'OK gave it no expiry.'),
  );
}
