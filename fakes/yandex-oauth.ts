// A stand-in for oauth.yandex.ru: /authorize (consent redirect with force_confirm, PKCE S256, optional
// device_id/device_name), /token (authorization_code | refresh_token) and /revoke_token (only tokens
// issued for a device can be revoked; others answer 400 unsupported_token_type, as Yandex documents).
// The Yandex Disk fake asks `validToken()` about `OAuth <token>`.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector } from './faults';
import { listen, queryObject, readForm, sendJson, underBase } from './http-kit';

export interface YandexOAuthOptions {
  port?: number;
  basePath?: string;
  clientId?: string;
  clientSecret?: string;
  /** The callback registered for the app; /authorize without redirect_uri uses it. */
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
}

interface CodeGrant {
  redirectUri?: string;
  deviceId?: string;
  challenge: string;
  used: boolean;
  expiresAt: number;
}

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

export async function startYandexOAuthFake(options: YandexOAuthOptions = {}) {
  const base = options.basePath ?? '';
  const clientId = options.clientId ?? 'ferry-yandex-client';
  const clientSecret = options.clientSecret ?? 'ferry-yandex-secret';
  const redirectUris = [...(options.redirectUris ?? [])];
  const ttl = options.accessTokenTtlSeconds ?? 31_536_000;
  const codes = new Map<string, CodeGrant>();
  const access = new Map<string, { expiresAt: number; refreshToken?: string; deviceId?: string }>();
  const refresh = new Map<string, { revoked: boolean; deviceId?: string }>();
  const revocations: Array<{ accessToken: string; status: number }> = [];
  const faults = new FaultInjector();
  const authRequests: Record<string, string>[] = [];
  let consent: 'allow' | 'deny' = 'allow';

  const mint = (deviceId?: string) => {
    const refreshToken = token('1:fake:');
    refresh.set(refreshToken, { revoked: false, deviceId });
    const accessToken = token('y0_fake');
    access.set(accessToken, { expiresAt: Date.now() + ttl * 1000, refreshToken, deviceId });
    return { accessToken, refreshToken };
  };

  /** Kills the access token (and, for a refresh token, every access token minted from it). */
  const revoke = (t: string): void => {
    const r = refresh.get(t);
    if (r) {
      r.revoked = true;
      for (const [k, v] of access) if (v.refreshToken === t) access.delete(k);
    }
    access.delete(t);
  };

  /** The app's credentials from the form or HTTP Basic (which wins, as Yandex documents). */
  const clientOf = (req: IncomingMessage, form: URLSearchParams) => {
    let id = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { id, secret, basic: Boolean(basic) };
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry = faults.enter(req, url);
    const path = underBase(url.pathname, base);
    const faulted = await faults.play(req, url, entry, (f) =>
      sendJson(res, f.status, { error: f.reason ?? 'server_error', error_description: f.message ?? 'Fault injected' }),
    );
    if (faulted.answered) return;
    const reply = (status: number, body: unknown) => {
      entry.status = status;
      sendJson(res, status, body);
    };

    if (req.method === 'GET' && path === '/authorize') {
      const q = queryObject(url);
      authRequests.push(q);
      if (q.client_id !== clientId) return textPage(res, 400, 'invalid_client: unknown client_id');
      const redirect = q.redirect_uri ?? redirectUris[0];
      if (!redirect || (q.redirect_uri && !redirectUris.includes(q.redirect_uri)))
        return textPage(res, 400, 'redirect_uri does not match the Callback URL of the app');
      const back = (params: Record<string, string>) => {
        const to = new URL(redirect);
        for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
        if (q.state !== undefined) to.searchParams.set('state', q.state);
        entry.status = 302;
        res.writeHead(302, { location: to.toString() }).end();
      };
      if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
      if (q.code_challenge && (q.code_challenge_method ?? 'plain') !== 'S256')
        return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
      if (consent === 'deny') return back({ error: 'access_denied', error_description: 'User denied access' });
      const code = String(1_000_000 + Math.floor(Math.random() * 8_999_999));
      if (q.device_id !== undefined && (q.device_id.length < 6 || q.device_id.length > 50))
        return back({ error: 'invalid_request', error_description: 'device_id must be 6 to 50 characters' });
      codes.set(code, {
        redirectUri: q.redirect_uri,
        deviceId: q.device_id,
        challenge: q.code_challenge ?? '',
        used: false,
        expiresAt: Date.now() + 600_000,
      });
      return back({ code });
    }

    if (req.method === 'POST' && path === '/token') {
      const form = await readForm(req);
      const { id, secret } = clientOf(req, form);
      if (id !== clientId) return reply(400, { error: 'invalid_client', error_description: 'Client not found' });
      const grantType = form.get('grant_type');
      if (grantType === 'authorization_code') {
        const grant = codes.get(form.get('code') ?? '');
        if (!grant || grant.used || grant.expiresAt < Date.now())
          return reply(400, { error: 'invalid_grant', error_description: 'Code has expired' });
        if (grant.challenge) {
          const verifier = form.get('code_verifier') ?? '';
          if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
            return reply(400, { error: 'invalid_grant', error_description: 'Code verifier is not valid' });
        } else if (secret !== clientSecret) {
          return reply(400, { error: 'invalid_client', error_description: 'Wrong client secret' });
        }
        grant.used = true;
        // A device id given with the code request wins; otherwise the token request may name one.
        const t = mint(grant.deviceId ?? form.get('device_id') ?? undefined);
        return reply(200, {
          token_type: 'bearer',
          access_token: t.accessToken,
          expires_in: ttl,
          refresh_token: t.refreshToken,
        });
      }
      if (grantType === 'refresh_token') {
        if (secret !== clientSecret)
          return reply(400, { error: 'invalid_client', error_description: 'Wrong client secret' });
        const rt = form.get('refresh_token') ?? '';
        const r = refresh.get(rt);
        if (!r || r.revoked) return reply(400, { error: 'invalid_grant', error_description: 'Token has been revoked' });
        const accessToken = token('y0_fake');
        access.set(accessToken, { expiresAt: Date.now() + ttl * 1000, refreshToken: rt, deviceId: r.deviceId });
        return reply(200, { token_type: 'bearer', access_token: accessToken, expires_in: ttl, refresh_token: rt });
      }
      return reply(400, {
        error: 'unsupported_grant_type',
        error_description: `grant_type ${grantType ?? ''} is not supported`,
      });
    }

    if (req.method === 'POST' && path === '/revoke_token') {
      const form = await readForm(req);
      const { id, secret, basic } = clientOf(req, form);
      const accessToken = form.get('access_token') ?? '';
      const answer = (status: number, body: unknown) => {
        revocations.push({ accessToken, status });
        reply(status, body);
      };
      if (id !== clientId || secret !== clientSecret)
        return answer(basic ? 401 : 400, { error: 'invalid_client', error_description: 'Client not found' });
      if (!accessToken) return answer(400, { error: 'invalid_request', error_description: 'access_token is required' });
      const grant = access.get(accessToken);
      // An unknown or dead token: "successfully revoked or was already invalid".
      if (!grant || grant.expiresAt < Date.now()) return answer(200, { status: 'ok' });
      if (!grant.deviceId)
        return answer(400, {
          error: 'unsupported_token_type',
          error_description: 'The token was not issued for a device and cannot be revoked',
        });
      if (grant.refreshToken) revoke(grant.refreshToken);
      revoke(accessToken);
      return answer(200, { status: 'ok' });
    }

    return reply(404, { error: 'not_found', error_description: `No route ${req.method} ${url.pathname}` });
  };

  const server = await listen(handler, options.port ?? 0);
  const root = `${server.url}${base}`;
  return {
    /** YANDEX_OAUTH_URL */
    url: root,
    clientId,
    clientSecret,
    faults,
    authRequests,
    close: () => server.close(),
    validToken(accessToken: string): boolean {
      const g = access.get(accessToken);
      return Boolean(g && g.expiresAt > Date.now());
    },
    addRedirectUri(uri: string): void {
      redirectUris.push(uri);
    },
    setConsent(answer: 'allow' | 'deny'): void {
      consent = answer;
    },
    /** A token pair as if the user had consented (or pasted a Polygon token); `deviceId` makes it revocable. */
    issueTokens(deviceId?: string) {
      return mint(deviceId);
    },
    /** Kills the access token (and, for a refresh token, every access token minted from it). */
    revoke,
    /** Every POST /revoke_token, in order, with the status it got. */
    revocations,
    /** The device a live access token was issued for (undefined: none, or not a live token). */
    deviceOf(accessToken: string): string | undefined {
      return access.get(accessToken)?.deviceId;
    },
  };
}

export type YandexOAuthFake = Awaited<ReturnType<typeof startYandexOAuthFake>>;

function textPage(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><p>${text}</p>`);
}
