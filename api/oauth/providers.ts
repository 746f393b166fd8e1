// The providers' authorization URLs (where `redirect_to` sends the user). Only public values go
// into them: the client id, the callback, the state and the PKCE challenge; secrets stay server-side.
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import type { Config } from '../../lib/config';
import { requireVars } from '../../lib/config';
import type { OAuthProvider } from '../../lib/jobs/cloud-archive';

/** drive.file: Ferry sees only the files it creates, not the user's whole Drive. */
const GOOGLE_DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive.file';

/** Yandex wants 6 to 50 characters; a request id is 22. */
const yandexDeviceId = (requestId: string) => `ferry-${requestId}`;

export const callbackUrl = (config: Config, provider: OAuthProvider) =>
  `${config.FERRY_PUBLIC_URL.replace(/\/+$/, '')}/oauth/${provider}/callback`;

export function authorizationUrl(
  config: Config,
  provider: OAuthProvider,
  params: { state: string; codeChallenge: string; requestId?: string },
): string {
  const redirectUri = callbackUrl(config, provider);
  if (provider === 'google') {
    const { GOOGLE_CLIENT_ID } = requireVars(config, ['GOOGLE_CLIENT_ID'], 'Google Drive authorization');
    const client = new OAuth2Client({
      clientId: GOOGLE_CLIENT_ID,
      redirectUri,
      endpoints: { oauth2AuthBaseUrl: config.GOOGLE_AUTH_URL, oauth2TokenUrl: config.GOOGLE_TOKEN_URL },
    });
    // offline + consent: Google sends a refresh token every time, so a long copy outlives the hour.
    return client.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: [GOOGLE_DRIVE_SCOPE],
      state: params.state,
      code_challenge: params.codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
    });
  }
  const { YANDEX_CLIENT_ID } = requireVars(config, ['YANDEX_CLIENT_ID'], 'Yandex Disk authorization');
  const url = new URL(`${config.YANDEX_OAUTH_URL.replace(/\/+$/, '')}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: YANDEX_CLIENT_ID,
    redirect_uri: redirectUri,
    state: params.state,
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
    // Ask every time: the user may mean a different Yandex account than the one logged in.
    force_confirm: 'yes',
    // A token issued for a "device" is the only kind Yandex lets the app revoke (POST /revoke_token):
    // one device per transfer, so the finished transfer can end its own grant and no other.
    ...(params.requestId && { device_id: yandexDeviceId(params.requestId), device_name: 'Ferry gallery transfer' }),
  }).toString();
  return url.toString();
}
