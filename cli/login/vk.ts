// `ferry login vk`: VK's Implicit Flow as the first course brief has users do it by hand. Ferry prints the
// authorization link of the configured app (VK_CLIENT_ID), the user allows access and pastes the address
// VK sends them to (https://oauth.vk.com/blank.html#access_token=…&expires_in=86400&user_id=…); Ferry
// checks the token with one users.get call and saves it (cli/token-store.ts).
import { APIError } from 'vk-io';
import { requireVars, type Config } from '../../lib/config';
import { vkApi } from '../../activities/vk/client';
import { formatTime, saveToken } from '../token-store';
import { expiryFrom, LoginFailed, pasteRedirect, type LoginIO } from './io';

/** The page VK sends Standalone apps' users to with the token in its fragment (dev.vk.com, Implicit Flow). */
const VK_REDIRECT_URI = 'https://oauth.vk.com/blank.html';
/** The API version Ferry's VK client speaks (vk-io's default). */
const VK_API_VERSION = '5.199';

function vkAuthorizeUrl(config: Config): string {
  const { VK_CLIENT_ID } = requireVars(config, ['VK_CLIENT_ID'], '`ferry login vk` (the id of your VK app)');
  const url = new URL(`${config.VK_OAUTH_URL.replace(/\/+$/, '')}/authorize`);
  url.search = new URLSearchParams({
    client_id: VK_CLIENT_ID,
    display: 'page',
    redirect_uri: VK_REDIRECT_URI,
    scope: 'photos',
    response_type: 'token',
    v: VK_API_VERSION,
  }).toString();
  return url.toString();
}

interface VkUser {
  id: number;
  first_name?: string;
  last_name?: string;
}

/** VK's answer to "whose token is this": users.get without user_ids. One sentence when VK refuses. */
async function tokenOwner(config: Config, token: string): Promise<VkUser> {
  try {
    const api = vkApi({ baseUrl: config.VK_API_URL, token, requestsPerSecond: config.VK_REQUESTS_PER_SECOND });
    const [user] = (await api.users.get({})) as VkUser[];
    if (!user) throw new LoginFailed('VK answered users.get with no user for this token');
    return user;
  } catch (err) {
    if (err instanceof LoginFailed) throw err;
    if (!(err instanceof APIError)) {
      throw new LoginFailed(`cannot reach VK to check the token: ${(err as Error).message}`, 'unavailable');
    }
    const text = err.message.replace(/^Code №\d+ - /, '');
    // 5 "User authorization failed: access_token has expired." (1117 in VK ID's newer API says the same).
    if (Number(err.code) === 1117 || (Number(err.code) === 5 && /expired/i.test(text))) {
      throw new LoginFailed('this VK token has expired: open the link again, allow access and paste the new address');
    }
    throw new LoginFailed(
      `VK refused this token (error ${err.code}: ${text}); open the link again and paste the new address`,
    );
  }
}

export async function loginVk(config: Config, io: LoginIO): Promise<void> {
  const { token, params } = await pasteRedirect(io, {
    provider: 'VK',
    link: vkAuthorizeUrl(config),
    redirectUri: VK_REDIRECT_URI,
    command: 'ferry login vk',
  });
  const owner = await tokenOwner(config, token);
  const claimed = params.get('user_id');
  if (claimed && claimed !== String(owner.id)) {
    throw new LoginFailed(`VK says this token belongs to user ${owner.id}, not to user ${claimed} of the address`);
  }
  // expires_in=0 means no expiry (the `offline` right); Ferry asks only for `photos`, so VK says 86400.
  const expiresAt = expiryFrom(params.get('expires_in'));
  const userName = [owner.first_name, owner.last_name].filter(Boolean).join(' ') || undefined;
  const file = saveToken('vk', {
    accessToken: token,
    expiresAt,
    userId: String(owner.id),
    userName,
    clientId: config.VK_CLIENT_ID,
  });
  io.say(
    `Saved the VK token of ${userName ?? 'user'} (id ${owner.id}) to ${file} (0600); ` +
      (expiresAt
        ? `it expires ${formatTime(expiresAt)}.`
        : params.has('expires_in')
          ? 'VK gave it no expiry (offline access).'
          : 'its expiry is unknown (only the token was pasted).'),
  );
}
