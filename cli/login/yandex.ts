// `ferry login yandex`: Yandex OAuth's authorization-code flow with PKCE on a loopback redirect
// (yandex.ru/dev/id "Getting a confirmation code from a URL") when YANDEX_CLIENT_ID is set, or a pasted
// token (the Polygon page the course briefs use) with --paste or without an app. The token is checked
// with one Disk call (GET /v1/disk) and saved with its refresh token, which the Disk client renews with.
import { createHash, randomBytes } from 'node:crypto';
import { requireVars, type Config } from '../../lib/config';
import { formatTime, saveToken, type TokenRecord } from '../token-store';
import { expiryFrom, LoginFailed, readPastedToken, type LoginIO } from './io';
import { listenForRedirect } from './loopback';

const POLYGON_URL = 'https://yandex.ru/dev/disk/poligon/';
const CONSENT_TIMEOUT_MS = 5 * 60_000;

interface DiskInfo {
  total_space?: number;
  used_space?: number;
  user?: { login?: string; display_name?: string; uid?: string };
}

/** GET /v1/disk with the token: who it belongs to, or one sentence why Yandex refused it. */
async function diskOwner(config: Config, token: string): Promise<{ userId?: string; userName?: string }> {
  let res: Response;
  try {
    res = await fetch(config.YANDEX_DISK_API_URL.replace(/\/+$/, ''), {
      headers: { authorization: `OAuth ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new LoginFailed(`cannot reach Yandex Disk to check the token: ${(err as Error).message}`, 'unavailable');
  }
  const body = (await res.json().catch(() => ({}))) as DiskInfo & { error?: string; description?: string };
  if (res.status === 401 || res.status === 403) {
    throw new LoginFailed(
      `Yandex Disk refused this token (${body.error ?? res.status}): it is expired or revoked; get a new one`,
    );
  }
  if (!res.ok) throw new LoginFailed(`Yandex Disk answered ${res.status} to the token check`, 'unavailable');
  return { userId: body.user?.uid, userName: body.user?.login ?? body.user?.display_name };
}

async function pastedToken(io: LoginIO): Promise<TokenRecord> {
  io.say(`Open ${POLYGON_URL}, sign in, press "Get OAuth token" and paste the token here:`);
  const { token, params } = await readPastedToken(io, 'Yandex', {
    again: 'run `ferry login yandex --paste` again',
    noToken: 'the pasted text is not a Yandex token (y0_…)',
  });
  // Polygon shows no lifetime; an implicit-flow address carries expires_in.
  return { accessToken: token, expiresAt: expiryFrom(params.get('expires_in')) };
}

async function exchange(config: Config, clientId: string, code: string, verifier: string): Promise<TokenRecord> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    client_id: clientId,
  });
  if (config.YANDEX_CLIENT_SECRET) form.set('client_secret', config.YANDEX_CLIENT_SECRET);
  let res: Response;
  try {
    res = await fetch(`${config.YANDEX_OAUTH_URL.replace(/\/+$/, '')}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new LoginFailed(`cannot reach Yandex OAuth: ${(err as Error).message}`, 'unavailable');
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, string | number | undefined>;
  if (!res.ok || typeof body.access_token !== 'string') {
    const why = [body.error, body.error_description].filter(Boolean).join(': ') || `HTTP ${res.status}`;
    throw new LoginFailed(`Yandex refused the authorization code (${why}); run \`ferry login yandex\` again`);
  }
  return {
    accessToken: body.access_token,
    expiresAt: expiryFrom(body.expires_in),
    ...(typeof body.refresh_token === 'string' && { refreshToken: body.refresh_token }),
    clientId,
  };
}

async function browserToken(config: Config, io: LoginIO): Promise<TokenRecord> {
  const { YANDEX_CLIENT_ID } = requireVars(config, ['YANDEX_CLIENT_ID'], '`ferry login yandex`');
  const redirectUri = config.YANDEX_LOGIN_REDIRECT_URI;
  const state = randomBytes(16).toString('hex');
  const verifier = randomBytes(32).toString('base64url');
  const redirect = await listenForRedirect(redirectUri, { provider: 'Yandex', state, timeoutMs: CONSENT_TIMEOUT_MS });
  try {
    const url = new URL(`${config.YANDEX_OAUTH_URL.replace(/\/+$/, '')}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: YANDEX_CLIENT_ID,
      redirect_uri: redirectUri,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      // Ask every time: the user may mean another Yandex account than the one the browser is signed in to.
      force_confirm: 'yes',
    }).toString();
    io.say('Open this link in your browser and allow Ferry to use your Yandex Disk:');
    io.say(`  ${url.toString()}`);
    io.say(`(Ferry waits on ${redirectUri}; register it as a Redirect URI of your Yandex app.)`);
    return await exchange(config, YANDEX_CLIENT_ID, await redirect.code, verifier);
  } finally {
    redirect.close();
  }
}

export async function loginYandex(config: Config, io: LoginIO, options: { paste?: boolean } = {}): Promise<void> {
  const usePaste = options.paste || !config.YANDEX_CLIENT_ID;
  if (usePaste && !options.paste) io.say('YANDEX_CLIENT_ID is not set, so Ferry asks for a ready token.');
  const token = usePaste ? await pastedToken(io) : await browserToken(config, io);
  const owner = await diskOwner(config, token.accessToken);
  const file = saveToken('yandex', { ...token, ...owner });
  io.say(
    `Saved the Yandex Disk token${owner.userName ? ` of ${owner.userName}` : ''} to ${file} (0600); ` +
      (token.expiresAt ? `it expires ${formatTime(token.expiresAt)}.` : 'Yandex gave it no expiry.'),
  );
}
