// Revoking the user's grant at the provider when a gallery transfer finishes: the tokens were for this
// one transfer, and a grant nobody uses any more is only a liability. Google: RFC 7009 at
// GOOGLE_REVOKE_URL with the refresh token (which ends the whole grant, access tokens included).
// Yandex: POST {YANDEX_OAUTH_URL}/revoke_token with the access token and the app's credentials, which
// works only for tokens issued for a device — so the consent request names one per transfer
// (`device_id`, api/oauth/providers.ts); revoking the OAuth token revokes its refresh token too.
import type { Config } from '../../lib/config';
import type { DestinationCredentials } from '../../lib/jobs/copy-to-cloud';
import { failure, FailureType } from '../../lib/failures';

export interface RevokeResult {
  revoked: boolean;
  /** Why not, when the provider could not revoke (the grant then ends only when the user removes it). */
  detail?: string;
}

const TIMEOUT_MS = 30_000;

const unavailable = (message: string, cause?: unknown) => failure(FailureType.OAuthUnavailable, message, { cause });

async function postForm(url: string, form: Record<string, string>, what: string) {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
  } catch (err) {
    throw unavailable(`${what}: ${(err as Error).message}`, err);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; error_description?: string };
  // 5xx and 429 may pass; any other answer is final (retrying the same token cannot change it).
  if (res.status >= 500 || res.status === 429) throw unavailable(`${what}: HTTP ${res.status}`);
  return { status: res.status, error: body.error, description: body.error_description };
}

export async function revokeGrant(config: Config, credentials: DestinationCredentials): Promise<RevokeResult> {
  if (credentials.cloud === 'google_drive') {
    const token = credentials.refreshToken ?? credentials.accessToken;
    if (!token) return { revoked: false, detail: 'no token to revoke' };
    const r = await postForm(config.GOOGLE_REVOKE_URL, { token }, 'revoking the Google grant');
    if (r.status === 200) return { revoked: true };
    // invalid_token: already revoked or expired — nothing is left to revoke.
    if (r.error === 'invalid_token') return { revoked: true, detail: 'the token was already invalid' };
    return { revoked: false, detail: `Google answered ${r.status} ${r.error ?? ''}`.trim() };
  }
  if (!config.YANDEX_CLIENT_ID || !config.YANDEX_CLIENT_SECRET) {
    return { revoked: false, detail: 'YANDEX_CLIENT_ID/YANDEX_CLIENT_SECRET are not set' };
  }
  const r = await postForm(
    `${config.YANDEX_OAUTH_URL.replace(/\/+$/, '')}/revoke_token`,
    { access_token: credentials.token, client_id: config.YANDEX_CLIENT_ID, client_secret: config.YANDEX_CLIENT_SECRET },
    'revoking the Yandex token',
  );
  // 200 {"status":"ok"} also when the token was already invalid (Yandex's documented answer).
  if (r.status === 200) return { revoked: true };
  return { revoked: false, detail: `Yandex answered ${r.status} ${r.error ?? ''}: ${r.description ?? ''}`.trim() };
}
