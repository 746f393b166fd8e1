// A faithful stand-in for Google's OAuth 2.0 endpoints (accounts.google.com + oauth2.googleapis.com) on
// one loopback server: the consent redirect, the token endpoint (authorization_code with PKCE S256,
// refresh_token, the service-account JWT bearer grant), revoke, tokeninfo, userinfo. Errors come as
// Google sends them ({"error":"invalid_grant","error_description":"..."}). The Drive and Sheets fakes
// ask `validAccessToken()` whether a Bearer token is good.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector } from './faults';
import { verifyJwtBearer } from './google-jwt';
import { listen, queryObject, readForm, sendJson, underBase } from './http-kit';

export interface GoogleOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Installed (desktop/CLI) clients may redirect to any port on loopback, as Google allows. */
  installed?: boolean;
}

interface Grant {
  clientId: string;
  scope: string;
  sub: string;
}
interface CodeGrant extends Grant {
  redirectUri: string;
  challenge: string;
  offline: boolean;
  consent: boolean;
  used: boolean;
  expiresAt: number;
}
interface AccessGrant extends Grant {
  expiresAt: number;
  refreshToken?: string;
}

export interface GoogleOAuthOptions {
  port?: number;
  /** Serve every route under this path, e.g. '/google' (default: at the root). */
  basePath?: string;
  clients?: GoogleOAuthClient[];
  /** Lifetime of access tokens (default 3599 s, as Google). */
  accessTokenTtlSeconds?: number;
  /** Require PKCE (code_challenge with S256) on /o/oauth2/v2/auth (default true: Ferry always uses it). */
  requirePkce?: boolean;
}

const DEFAULT_CLIENT: GoogleOAuthClient = {
  clientId: '1234567890-ferrytest.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-ferry-test-secret',
  redirectUris: [],
  installed: true,
};

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

export async function startGoogleOAuthFake(options: GoogleOAuthOptions = {}) {
  const base = options.basePath ?? '';
  const ttl = options.accessTokenTtlSeconds ?? 3599;
  const requirePkce = options.requirePkce ?? true;
  const clients = new Map<string, GoogleOAuthClient>();
  for (const c of options.clients ?? [DEFAULT_CLIENT]) clients.set(c.clientId, { ...c });
  const codes = new Map<string, CodeGrant>();
  const access = new Map<string, AccessGrant>();
  const refresh = new Map<string, Grant & { revoked: boolean }>();
  const revocations: Array<{ token: string; status: number }> = [];
  const serviceAccounts = new Map<string, KeyObject>();
  const consentedBefore = new Set<string>();
  const faults = new FaultInjector();
  const authRequests: Record<string, string>[] = [];
  let consent: 'allow' | 'deny' = 'allow';
  let user = { sub: '108000000000000000001', email: 'ferry.user@example.com' };

  const issueAccess = (g: Grant, refreshToken?: string) => {
    const accessToken = token('ya29.fake-');
    access.set(accessToken, { ...g, expiresAt: Date.now() + ttl * 1000, refreshToken });
    return accessToken;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry = faults.enter(req, url);
    const path = underBase(url.pathname, base);
    const faulted = await faults.play(req, url, entry, (f, headers) =>
      sendJson(
        res,
        f.status,
        { error: f.reason ?? 'internal_failure', error_description: f.message ?? 'Fault injected by the test.' },
        headers,
      ),
    );
    if (faulted.answered) return;
    const reply = (status: number, body: unknown) => {
      entry.status = status;
      sendJson(res, status, body, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
    };
    const oauthError = (status: number, error: string, description: string) =>
      reply(status, { error, error_description: description });

    if (req.method === 'GET' && path === '/o/oauth2/v2/auth') {
      const q = queryObject(url);
      authRequests.push(q);
      const client = clients.get(q.client_id ?? '');
      // Like Google: a bad client or redirect URI is shown to the user as an error page, never redirected.
      if (!client) return errorPage(res, 401, 'invalid_client', 'The OAuth client was not found.');
      if (!q.redirect_uri || !redirectAllowed(client, q.redirect_uri))
        return errorPage(
          res,
          400,
          'redirect_uri_mismatch',
          `redirect_uri ${q.redirect_uri ?? '(missing)'} is not registered`,
        );
      const back = (params: Record<string, string>) => {
        const to = new URL(q.redirect_uri!);
        for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
        if (q.state !== undefined) to.searchParams.set('state', q.state);
        entry.status = 302;
        res.writeHead(302, { location: to.toString() }).end();
      };
      if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
      if (!q.scope) return back({ error: 'invalid_request', error_description: 'Missing required parameter: scope' });
      if (requirePkce && !q.code_challenge)
        return back({ error: 'invalid_request', error_description: 'Missing required parameter: code_challenge' });
      if (q.code_challenge && q.code_challenge_method !== 'S256')
        return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
      if (consent === 'deny') return back({ error: 'access_denied' });
      const code = token('4/0fake-');
      const key = `${client.clientId}|${user.sub}`;
      codes.set(code, {
        clientId: client.clientId,
        scope: q.scope,
        sub: user.sub,
        redirectUri: q.redirect_uri,
        challenge: q.code_challenge ?? '',
        offline: q.access_type === 'offline',
        // Google hands out a refresh token on the first consent, or when consent is forced again.
        consent: (q.prompt ?? '').split(' ').includes('consent') || !consentedBefore.has(key),
        used: false,
        expiresAt: Date.now() + 10 * 60_000,
      });
      consentedBefore.add(key);
      return back({ code, scope: q.scope });
    }

    if (req.method === 'POST' && path === '/token') {
      const form = await readForm(req);
      const grantType = form.get('grant_type') ?? '';
      if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return jwtBearer(form.get('assertion') ?? '');
      const client = authenticateClient(req, form);
      if (!client) return oauthError(401, 'invalid_client', 'Unauthorized');
      if (grantType === 'authorization_code') {
        const grant = codes.get(form.get('code') ?? '');
        if (!grant || grant.clientId !== client.clientId)
          return oauthError(400, 'invalid_grant', 'Malformed auth code.');
        if (grant.used || grant.expiresAt < Date.now()) return oauthError(400, 'invalid_grant', 'Bad Request');
        if (form.get('redirect_uri') !== grant.redirectUri)
          return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
        if (grant.challenge) {
          const verifier = form.get('code_verifier');
          if (!verifier) return oauthError(400, 'invalid_grant', 'Missing code verifier.');
          if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
            return oauthError(400, 'invalid_grant', 'Invalid code verifier.');
        }
        grant.used = true;
        let refreshToken: string | undefined;
        if (grant.offline && grant.consent) {
          refreshToken = token('1//0fake-');
          refresh.set(refreshToken, { clientId: grant.clientId, scope: grant.scope, sub: grant.sub, revoked: false });
        }
        const accessToken = issueAccess(grant, refreshToken);
        return reply(200, {
          access_token: accessToken,
          expires_in: ttl,
          ...(refreshToken ? { refresh_token: refreshToken } : {}),
          scope: grant.scope,
          token_type: 'Bearer',
        });
      }
      if (grantType === 'refresh_token') {
        const rt = form.get('refresh_token') ?? '';
        const grant = refresh.get(rt);
        if (!grant || grant.revoked || grant.clientId !== client.clientId)
          return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
        return reply(200, {
          access_token: issueAccess(grant, rt),
          expires_in: ttl,
          scope: grant.scope,
          token_type: 'Bearer',
        });
      }
      return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    }

    if (req.method === 'POST' && path === '/revoke') {
      const form = await readForm(req);
      const t = form.get('token') ?? url.searchParams.get('token') ?? '';
      const ok = revoke(t);
      revocations.push({ token: t, status: ok ? 200 : 400 });
      if (!ok) return oauthError(400, 'invalid_token', 'Token expired or revoked');
      return reply(200, {});
    }

    if (req.method === 'GET' && path === '/tokeninfo') {
      const info = lookup(url.searchParams.get('access_token') ?? '');
      if (!info) return oauthError(400, 'invalid_token', 'Invalid Value');
      return reply(200, {
        azp: info.clientId,
        aud: info.clientId,
        sub: info.sub,
        scope: info.scope,
        exp: String(Math.floor(info.expiresAt / 1000)),
        expires_in: String(Math.max(0, Math.floor((info.expiresAt - Date.now()) / 1000))),
        access_type: info.refreshToken ? 'offline' : 'online',
      });
    }

    if (req.method === 'GET' && path === '/oauth2/v3/userinfo') {
      const info = lookup(bearer(req));
      if (!info) return oauthError(401, 'invalid_request', 'Invalid Credentials');
      return reply(200, { sub: info.sub, email: user.email, email_verified: true });
    }

    return reply(404, { error: 'not_found', error_description: `No route ${req.method} ${url.pathname}` });

    function jwtBearer(assertion: string) {
      const checked = verifyJwtBearer(assertion, serviceAccounts, tokenUrl);
      if ('error' in checked) return oauthError(400, checked.error, checked.description);
      const accessToken = issueAccess({ clientId: checked.iss, scope: checked.scope, sub: checked.iss });
      return reply(200, { access_token: accessToken, expires_in: ttl, token_type: 'Bearer' });
    }
  };

  function authenticateClient(req: IncomingMessage, form: URLSearchParams): GoogleOAuthClient | undefined {
    let id = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const [u, pw] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u ?? '');
      secret = decodeURIComponent(pw ?? '');
    }
    const client = clients.get(id ?? '');
    return client && client.clientSecret === secret ? client : undefined;
  }

  function lookup(accessToken: string): AccessGrant | undefined {
    const g = access.get(accessToken);
    return g && g.expiresAt > Date.now() ? g : undefined;
  }

  /** Revoking a refresh token also kills the access tokens minted from it, as Google does. */
  function revoke(t: string): boolean {
    const r = refresh.get(t);
    if (r) {
      // Google answers 400 invalid_token for a grant that is already gone.
      if (r.revoked) return false;
      r.revoked = true;
      for (const [k, v] of access) if (v.refreshToken === t) access.delete(k);
      return true;
    }
    return access.delete(t);
  }

  const server = await listen(handler, options.port ?? 0);
  const root = `${server.url}${base}`;
  const tokenUrl = `${root}/token`;
  const first = [...clients.values()][0]!;

  return {
    url: root,
    /** GOOGLE_AUTH_URL */
    authUrl: `${root}/o/oauth2/v2/auth`,
    /** GOOGLE_TOKEN_URL */
    tokenUrl,
    /** GOOGLE_REVOKE_URL */
    revokeUrl: `${root}/revoke`,
    /** Every POST /revoke, in order, with the status it got. */
    revocations,
    clientId: first.clientId,
    clientSecret: first.clientSecret,
    faults,
    /** Query strings of every consent request, in order. */
    authRequests,
    close: () => server.close(),

    /** Is this a live access token (optionally carrying `scope`)? The Drive and Sheets fakes ask this. */
    validAccessToken(accessToken: string, scope?: string): boolean {
      const g = lookup(accessToken);
      return Boolean(g && (!scope || g.scope.split(' ').includes(scope)));
    },
    addClient(client: GoogleOAuthClient): void {
      clients.set(client.clientId, { ...client });
    },
    addRedirectUri(uri: string, clientId = first.clientId): void {
      clients.get(clientId)?.redirectUris.push(uri);
    },
    /** 'deny' makes the consent screen answer error=access_denied, like a user clicking Cancel. */
    setConsent(answer: 'allow' | 'deny'): void {
      consent = answer;
    },
    setUser(u: { sub: string; email: string }): void {
      user = u;
    },
    /** Mints a refresh token (and an access token) as if the user had consented: skips the browser dance. */
    issueTokens(opts: { clientId?: string; scope?: string } = {}) {
      const g = {
        clientId: opts.clientId ?? first.clientId,
        scope: opts.scope ?? 'https://www.googleapis.com/auth/drive.file',
        sub: user.sub,
      };
      const refreshToken = token('1//0fake-');
      refresh.set(refreshToken, { ...g, revoked: false });
      return { refreshToken, accessToken: issueAccess(g, refreshToken), expiresIn: ttl };
    },
    /** The user removed Ferry's access: later refreshes answer invalid_grant, its access tokens die. */
    revokeRefreshToken(refreshToken: string): boolean {
      return revoke(refreshToken);
    },
    /** Is this a refresh token the fake issued and that is still good? */
    liveRefreshToken(refreshToken: string): boolean {
      const r = refresh.get(refreshToken);
      return Boolean(r && !r.revoked);
    },
    /** Every access token expires now (refresh tokens stay good). */
    expireAccessTokens(): void {
      for (const g of access.values()) g.expiresAt = 0;
    },
    /** How many refresh-token grants were answered (to check that a client refreshed). */
    refreshCount(): number {
      return faults.log.filter((r) => r.path.endsWith('/token') && r.status === 200).length;
    },
    /** A service account with a fresh RSA key; returns its key JSON (token_uri = this fake). */
    createServiceAccount(email = `ferry-etl@ferry-test.iam.gserviceaccount.com`) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      serviceAccounts.set(email, publicKey);
      return {
        type: 'service_account',
        project_id: 'ferry-test',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: '100000000000000000042',
        auth_uri: `${root}/o/oauth2/auth`,
        token_uri: tokenUrl,
      };
    },
    registerServiceAccount(email: string, publicKeyPem: string): void {
      serviceAccounts.set(email, createPublicKey(publicKeyPem));
    },
  };
}

export type GoogleOAuthFake = Awaited<ReturnType<typeof startGoogleOAuthFake>>;

function redirectAllowed(client: GoogleOAuthClient, uri: string): boolean {
  if (client.redirectUris.includes(uri)) return true;
  if (!client.installed) return false;
  try {
    const u = new URL(uri);
    return (
      u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]')
    );
  } catch {
    return false;
  }
}

function bearer(req: IncomingMessage): string {
  return /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

function errorPage(res: ServerResponse, status: number, code: string, detail: string): void {
  const html = `<!doctype html><title>Error ${status} (${code})</title><h1>Access blocked: Authorization Error</h1><p>Error ${status}: ${code}</p><p>${detail}</p>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
}
