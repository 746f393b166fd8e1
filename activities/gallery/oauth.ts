// The authorization-code exchange (with the PKCE verifier) for Google and Yandex. Runs in the worker:
// the client secrets stay in its environment, and the tokens come back only inside the encrypted
// activity result — never through the API, never into a log.
import { ApplicationFailure } from '@temporalio/common';
import { OAuth2Client } from 'google-auth-library';
import type { Config } from '../../lib/config';
import { requireVars } from '../../lib/config';
import type { CloudKind, DestinationCredentials } from '../../lib/jobs/copy-to-cloud';
import { FailureType, failure } from '../../lib/failures';

export interface ExchangeInput {
  cloud: CloudKind;
  code: string;
  codeVerifier: string;
  redirectUri: string;
}

const refused = (message: string) => failure(FailureType.AuthorizationDenied, message);
const unavailable = (message: string) => failure(FailureType.OAuthUnavailable, message);

/** 4xx from a token endpoint (invalid_grant, bad verifier, reused code) cannot be fixed by retrying. */
function classify(provider: string, status: number | undefined, detail: string): ApplicationFailure {
  const message = `${provider} token exchange failed${status ? ` (HTTP ${status})` : ''}: ${detail}`;
  return status !== undefined && status >= 400 && status < 500 && status !== 429
    ? refused(message)
    : unavailable(message);
}

async function exchangeGoogle(config: Config, input: ExchangeInput): Promise<DestinationCredentials> {
  const { GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET } = requireVars(
    config,
    ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
    'Google Drive authorization',
  );
  const client = new OAuth2Client({
    clientId: GOOGLE_CLIENT_ID,
    clientSecret: GOOGLE_CLIENT_SECRET,
    redirectUri: input.redirectUri,
    endpoints: { oauth2TokenUrl: config.GOOGLE_TOKEN_URL, oauth2AuthBaseUrl: config.GOOGLE_AUTH_URL },
  });
  try {
    const { tokens } = await client.getToken({ code: input.code, codeVerifier: input.codeVerifier });
    if (!tokens.refresh_token && !tokens.access_token) throw refused('Google returned no token');
    return {
      cloud: 'google_drive',
      ...(tokens.refresh_token && { refreshToken: tokens.refresh_token }),
      ...(tokens.access_token && { accessToken: tokens.access_token }),
      ...(tokens.expiry_date && { expiresAt: tokens.expiry_date }),
    };
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const e = err as { response?: { status?: number; data?: { error?: string } }; message?: string };
    throw classify('Google', e.response?.status, e.response?.data?.error ?? e.message ?? 'unknown error');
  }
}

async function exchangeYandex(config: Config, input: ExchangeInput): Promise<DestinationCredentials> {
  const { YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET } = requireVars(
    config,
    ['YANDEX_CLIENT_ID', 'YANDEX_CLIENT_SECRET'],
    'Yandex Disk authorization',
  );
  let res: Response;
  try {
    res = await fetch(`${config.YANDEX_OAUTH_URL.replace(/\/+$/, '')}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: input.code,
        code_verifier: input.codeVerifier,
        client_id: YANDEX_CLIENT_ID,
        client_secret: YANDEX_CLIENT_SECRET,
      }),
      signal: AbortSignal.timeout(30_000),
      // The code, verifier and client secret go to YANDEX_OAUTH_URL only, never along a redirect.
      redirect: 'manual',
    });
  } catch (err) {
    throw classify('Yandex', undefined, (err as Error).message);
  }
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    refresh_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!res.ok) throw classify('Yandex', res.status, body.error ?? 'no error code');
  if (!body.access_token) throw refused('Yandex returned no access_token');
  return {
    cloud: 'yadisk',
    token: body.access_token,
    ...(body.refresh_token && { refreshToken: body.refresh_token }),
  };
}

export function exchangeCode(config: Config, input: ExchangeInput): Promise<DestinationCredentials> {
  return input.cloud === 'google_drive' ? exchangeGoogle(config, input) : exchangeYandex(config, input);
}
