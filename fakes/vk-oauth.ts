// A stand-in for oauth.vk.com's Implicit Flow (dev.vk.com "Implicit Flow for User Access Token"):
// GET /authorize?client_id&redirect_uri&scope&response_type=token&v is the consent page, answered here at
// once as the user's click: 302 to redirect_uri#access_token=…&expires_in=86400&user_id=… (expires_in=0
// with the `offline` right), or #error=access_denied&error_reason=user_denied&error_description=….
// The tokens are the VK API fake's own, so the API checks them (owner, rights, expiry) the way VK does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, queryObject, sendJson } from './http-kit';
import type { VkFake } from './vk';

/** Standalone apps get user tokens through this page (the only redirect_uri VK allows them besides their site). */
export const VK_BLANK_PAGE = 'https://oauth.vk.com/blank.html';
/** Implicit-flow tokens without `offline` live a day. */
export const VK_TOKEN_LIFETIME_SECONDS = 86_400;

// VK's access-right bit mask (dev.vk.com "Access rights"): the names a numeric `scope` stands for.
const RIGHT_BITS: Record<string, number> = { friends: 2, photos: 4, wall: 8192, offline: 65536, groups: 262144 };

/** `scope` as VK takes it: comma-separated names or a bit mask. */
export function vkRights(scope: string): Set<string> {
  if (/^\d+$/.test(scope.trim())) {
    const mask = Number(scope);
    return new Set(
      Object.entries(RIGHT_BITS)
        .filter(([, bit]) => (mask & bit) !== 0)
        .map(([name]) => name),
    );
  }
  return new Set(
    scope
      .split(/[,\s]+/)
      .map((r) => r.trim().toLowerCase())
      .filter(Boolean),
  );
}

export interface VkOAuthOptions {
  /** The VK app's id (VK_CLIENT_ID). */
  clientId?: string;
  redirectUris?: string[];
}

export async function startVkOAuthFake(vk: VkFake, options: VkOAuthOptions = {}) {
  const clientId = options.clientId ?? '54000001';
  const redirectUris = options.redirectUris ?? [VK_BLANK_PAGE];
  const authRequests: Record<string, string>[] = [];
  let consent: { userId: number } | 'deny' = { userId: vk.users[0]!.id };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'GET' || url.pathname !== '/authorize')
      return sendJson(res, 404, { error: 'not_found', error_description: `No route ${req.method} ${url.pathname}` });
    const q = queryObject(url);
    authRequests.push(q);
    // Problems with the request itself are shown on VK's page, never sent to the redirect_uri.
    if (q.client_id !== clientId)
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'client_id is incorrect' });
    if (!q.redirect_uri || !redirectUris.includes(q.redirect_uri))
      return sendJson(res, 400, {
        error: 'invalid_request',
        error_description: 'redirect_uri is incorrect, check application domain in the settings page',
      });
    if (q.response_type !== 'token')
      return sendJson(res, 400, { error: 'unsupported_response_type', error_description: 'response_type is invalid' });
    const back = (params: Record<string, string>) => {
      const fragment = new URLSearchParams({ ...params, ...(q.state !== undefined && { state: q.state }) });
      res.writeHead(302, { location: `${q.redirect_uri}#${fragment.toString()}` }).end();
    };
    if (consent === 'deny')
      return back({
        error: 'access_denied',
        error_reason: 'user_denied',
        error_description: 'User denied your request',
      });
    const rights = vkRights(q.scope ?? '');
    const expiresIn = rights.has('offline') ? 0 : VK_TOKEN_LIFETIME_SECONDS;
    const token = vk.issueToken(consent.userId, { rights, expiresInSeconds: expiresIn || undefined });
    return back({ access_token: token, expires_in: String(expiresIn), user_id: String(consent.userId) });
  };

  const server = await listen(handler);
  return {
    /** VK_OAUTH_URL */
    url: server.url,
    clientId,
    authRequests,
    /** Who clicks "Allow" on the consent page, or that the user refuses. */
    setConsent(answer: { userId: number } | 'deny') {
      consent = answer;
    },
    close: () => server.close(),
  };
}

export type VkOAuthFake = Awaited<ReturnType<typeof startVkOAuthFake>>;
