// A stand-in for OK's client OAuth (connect.ok.ru/oauth/authorize, response_type=token: apiok.ru "Client
// OAuth authorization") and the one REST call a login makes, users.getCurrentUser on /fb.do. The REST part
// checks what OK checks (ok-api-notes.md): application_key (101), the signature over every sent parameter
// but sig and access_token (104), the token (102 expired, 103 unknown), replying 200 + error JSON.
// The photo methods are the OK source's fake; this one knows only whose token it is.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, queryObject, readForm, sendJson } from './http-kit';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export interface OkFakeUser {
  uid: string;
  first_name: string;
  last_name: string;
}

interface OkToken {
  uid: string;
  expiresAt: number;
}

export interface OkOAuthOptions {
  applicationId?: string;
  applicationKey?: string;
  applicationSecretKey?: string;
  redirectUris?: string[];
  users?: OkFakeUser[];
}

export async function startOkOAuthFake(options: OkOAuthOptions = {}) {
  const applicationId = options.applicationId ?? '512000000001';
  const applicationKey = options.applicationKey ?? 'CBAFAKEKEYABCDEF';
  const applicationSecretKey = options.applicationSecretKey ?? 'FAKESECRETKEY0123456789AB';
  const redirectUris = options.redirectUris ?? ['https://oauth.mycdn.me/blank.html'];
  const users = options.users ?? [{ uid: '570000000042', first_name: 'Olga', last_name: 'Smirnova' }];
  const tokens = new Map<string, OkToken>();
  const authRequests: Record<string, string>[] = [];
  const calls: Array<{ method?: string; errorCode?: number }> = [];
  let consent: { uid: string } | 'deny' = { uid: users[0]!.uid };

  const issue = (uid: string, seconds: number) => {
    const token = `-s-${randomBytes(18).toString('base64url')}`;
    tokens.set(token, { uid, expiresAt: Date.now() + seconds * 1000 });
    return token;
  };

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
    const token = issue(consent.uid, seconds);
    return back({
      access_token: token,
      session_secret_key: md5(token + applicationSecretKey),
      expires_in: String(seconds),
    });
  }

  function rest(params: Record<string, string>): unknown {
    const fail = (code: number, msg: string) => ({ error_code: code, error_msg: msg, error_data: null });
    if (!params.application_key) return fail(101, 'PARAM_API_KEY : No application key');
    if (params.application_key !== applicationKey) return fail(101, 'PARAM_API_KEY : Invalid application key');
    if (!params.sig) return fail(104, 'PARAM_SIGNATURE : No signature specified');
    const token = params.access_token ?? '';
    const signed = Object.keys(params)
      .filter((k) => k !== 'sig' && k !== 'access_token')
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('');
    if (md5(signed + md5(token + applicationSecretKey)) !== params.sig.toLowerCase())
      return fail(104, 'PARAM_SIGNATURE : Invalid signature');
    const t = tokens.get(token);
    if (!t) return fail(103, 'PARAM_SESSION_KEY : Invalid session key');
    if (t.expiresAt <= Date.now()) return fail(102, 'PARAM_SESSION_EXPIRED : Session expired');
    if (params.method !== 'users.getCurrentUser') return fail(3, 'METHOD : Method is not supported by this fake');
    const user = users.find((u) => u.uid === t.uid)!;
    return { ...user, name: `${user.first_name} ${user.last_name}`, locale: 'ru', gender: 'female' };
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/oauth/authorize') return authorize(url, res);
    if (url.pathname === '/fb.do') {
      const params = { ...queryObject(url), ...(req.method === 'POST' ? Object.fromEntries(await readForm(req)) : {}) };
      const body = rest(params);
      calls.push({ method: params.method, errorCode: (body as { error_code?: number }).error_code });
      return sendJson(res, 200, body);
    }
    return sendJson(res, 404, { error_code: 3, error_msg: `METHOD : no route ${url.pathname}`, error_data: null });
  };

  const server = await listen(handler);
  return {
    /** OK_OAUTH_URL (authorize at /oauth/authorize) */
    oauthUrl: server.url,
    /** OK_API_URL */
    apiUrl: `${server.url}/fb.do`,
    applicationId,
    applicationKey,
    applicationSecretKey,
    redirectUri: redirectUris[0]!,
    users,
    authRequests,
    calls,
    setConsent(answer: { uid: string } | 'deny') {
      consent = answer;
    },
    expireToken(token: string) {
      const t = tokens.get(token);
      if (t) t.expiresAt = Date.now() - 1;
    },
    close: () => server.close(),
  };
}

export type OkOAuthFake = Awaited<ReturnType<typeof startOkOAuthFake>>;
