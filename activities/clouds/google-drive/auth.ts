// Google OAuth for Drive: an OAuth2Client that refreshes the access token from the refresh token as
// needed, against GOOGLE_TOKEN_URL. googleapis bundles its own google-auth-library (11.x); the Drive
// module's `auth.OAuth2` is that library's OAuth2Client, the only class its `drive()` accepts. Only the
// Drive module: `import { google } from 'googleapis'` loads every Google API (~120 MB of RSS).
import { auth as googleAuth } from 'googleapis/build/src/apis/drive/index.js';
import type { Config } from '../../../lib/config';
import type { DestinationCredentials } from '../../../lib/jobs/copy-to-cloud';
import { failure, FailureType } from '../../../lib/failures';
import { networkFailure } from '../errors';

type DriveCredentials = Extract<DestinationCredentials, { cloud: 'google_drive' }>;

export type DriveOAuthClient = InstanceType<typeof googleAuth.OAuth2>;

export interface DriveAuth {
  client: DriveOAuthClient;
  /** A live access token; `force` refreshes even when the cached one looks valid (after a 401). */
  token(force?: boolean): Promise<string>;
}

export function createDriveAuth(creds: DriveCredentials, config: Config): DriveAuth {
  if (!creds.refreshToken && !creds.accessToken) {
    throw failure(
      FailureType.InvalidInput,
      'Google Drive credentials carry neither a refresh token nor an access token',
    );
  }
  // A refresh token minted for the CLI's own OAuth client must be refreshed with that client.
  const client = new googleAuth.OAuth2({
    clientId: creds.clientId ?? config.GOOGLE_CLIENT_ID,
    clientSecret: creds.clientSecret ?? config.GOOGLE_CLIENT_SECRET,
    endpoints: { oauth2TokenUrl: config.GOOGLE_TOKEN_URL },
  });
  client.setCredentials({
    refresh_token: creds.refreshToken,
    access_token: creds.accessToken,
    expiry_date: creds.expiresAt,
  });
  return {
    client,
    async token(force = false) {
      if (force && creds.refreshToken) {
        client.setCredentials({ refresh_token: client.credentials.refresh_token ?? creds.refreshToken });
      }
      try {
        const { token } = await client.getAccessToken();
        if (!token) throw new Error('the token endpoint returned no access token');
        return token;
      } catch (err) {
        throw tokenFailure(err) ?? tokenEndpointUnavailable(err);
      }
    },
  };
}

/** A refused refresh (revoked grant, unknown client, no refresh token) is AuthRevoked: retrying cannot fix it. */
export function tokenFailure(err: unknown) {
  const e = err as {
    response?: { status?: number; data?: { error?: unknown; error_description?: unknown } };
    message?: string;
  };
  const data = e.response?.data;
  const status = e.response?.status ?? 0;
  if (typeof data?.error === 'string' && status < 500) {
    const why = typeof data.error_description === 'string' ? `: ${data.error_description}` : '';
    return failure(
      FailureType.AuthRevoked,
      `Google refused to refresh the access token (${data.error}${why}); reconnect Google Drive`,
    );
  }
  if (/No refresh token|refresh token is not set/i.test(e.message ?? '')) {
    return failure(
      FailureType.AuthRevoked,
      'the Google access token expired and there is no refresh token; reconnect Google Drive',
    );
  }
  return undefined;
}

/** The token endpoint unreachable, timing out or failing (5xx): retryable, and the cause kept. */
function tokenEndpointUnavailable(err: unknown) {
  const status = (err as { response?: { status?: number } }).response?.status;
  if (status) {
    return failure(FailureType.DestinationUnavailable, `the Google token endpoint answered ${status}`, { cause: err });
  }
  return networkFailure('refreshing the Google access token', err);
}
