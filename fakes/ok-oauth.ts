// A stand-in for OK's client OAuth page (connect.ok.ru/oauth/authorize, response_type=token: apiok.ru
// "Client OAuth authorization"), answered at once as the user's click: 302 to
// redirect_uri#access_token=…&session_secret_key=…&expires_in=…, or #error=access_denied. The tokens are
// the OK API fake's own (./ok.ts), so its users.getCurrentUser checks them the way OK does.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { listen, queryObject, sendJson } from './http-kit';
import type { OkFake } from './ok';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export interface OkOAuthOptions {
  /** The OK app's id (OK_APPLICATION_ID, the OAuth client_id). */
  applicationId?: string;
  redirectUris?: string[];
}

export async function startOkOAuthFake(ok: OkFake, options: OkOAuthOptions = {}) {
  const applicationId = options.applicationId ?? '512000000001';
  const redirectUris = options.redirectUris ?? ['https://oauth.mycdn.me/blank.html'];
  const authRequests: Record<string, string>[] = [];
  let consent: { uid: string } | 'deny' = { uid: ok.users[0]!.uid };

  function authorize(url: URL, res: ServerResponse): void {
    const q = queryObject(url);
    authRequests.push(q);
    const page = (text: string) =>
      void res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><p>${text}</p>`);
    if (q.client_id !== applicationId) return page('Invalid client_id');
    // "The part of the URI following the ? is not included in the check."
    if (!q.redirect_uri || !redirectUris.includes(q.redirect_uri.split('?')[0]!)) return page('Invalid redirect_uri');
    if (q.response_type !== 'token') return page('Client OAuth: response_type must be token');
    const back = (params: Record<string, string>) => {
      const fragment = new URLSearchParams({ ...params, ...(q.state !== undefined && { state: q.state }) });
      res.writeHead(302, { location: `${q.redirect_uri}#${fragment.toString()}` }).end();
    };
    if (consent === 'deny') return back({ error: 'access_denied' });
    const scope = (q.scope ?? '').split(';').map((s) => s.trim().toUpperCase());
    // LONG_ACCESS_TOKEN: 30 days (DOC-PERM); a short-lived one otherwise (30 min is a guess of ok-api-notes.md).
    const seconds = scope.includes('LONG_ACCESS_TOKEN') ? 30 * 86_400 : 1_800;
    const token = ok.issueToken(consent.uid, seconds);
    return back({
      access_token: token,
      session_secret_key: md5(token + ok.applicationSecretKey),
      expires_in: String(seconds),
    });
  }

  const server = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/oauth/authorize') return authorize(url, res);
    return sendJson(res, 404, { error: 'not_found', error_description: `No route ${req.method} ${url.pathname}` });
  });
  return {
    /** OK_OAUTH_URL (authorize at /oauth/authorize) */
    oauthUrl: server.url,
    applicationId,
    redirectUri: redirectUris[0]!,
    authRequests,
    setConsent(answer: { uid: string } | 'deny') {
      consent = answer;
    },
    close: () => server.close(),
  };
}

export type OkOAuthFake = Awaited<ReturnType<typeof startOkOAuthFake>>;
