// The OAuth fakes against the real google-auth-library client: consent with PKCE, code exchange,
// refresh, revocation, the service-account JWT bearer grant; and the Yandex flow.
import { createHash, createSign, randomBytes } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';

let google: GoogleOAuthFake;
let yandex: YandexOAuthFake;
beforeAll(async () => {
  google = await startGoogleOAuthFake({ basePath: '/google' });
  yandex = await startYandexOAuthFake({ redirectUris: ['http://127.0.0.1:9/cb'] });
});
afterAll(async () => {
  await google.close();
  await yandex.close();
});

function client() {
  return new OAuth2Client({
    clientId: google.clientId,
    clientSecret: google.clientSecret,
    redirectUri: 'http://127.0.0.1:8765/callback',
    endpoints: { oauth2TokenUrl: google.tokenUrl, oauth2AuthBaseUrl: google.authUrl },
  });
}

async function consent(authUrl: string): Promise<URL> {
  const res = await fetch(authUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

describe('Google OAuth fake', () => {
  it('runs the PKCE code flow, refreshes, and refuses a revoked refresh token', async () => {
    const oauth = client();
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    const url = oauth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: ['https://www.googleapis.com/auth/drive.file'],
      state: 'st-1',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256' as never,
    });
    const back = await consent(url);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code')!;
    const { tokens } = await oauth.getToken({ code, codeVerifier });
    expect(tokens.refresh_token).toBeTruthy();
    expect(google.validAccessToken(tokens.access_token!)).toBe(true);
    // A code is single-use.
    await expect(oauth.getToken({ code, codeVerifier })).rejects.toThrow(/invalid_grant/);

    oauth.setCredentials({ refresh_token: tokens.refresh_token });
    const fresh = await oauth.getAccessToken();
    expect(google.validAccessToken(fresh.token!)).toBe(true);

    google.revokeRefreshToken(tokens.refresh_token!);
    expect(google.validAccessToken(fresh.token!)).toBe(false);
    const again = client();
    again.setCredentials({ refresh_token: tokens.refresh_token });
    await expect(again.getAccessToken()).rejects.toThrow(/invalid_grant/);
  });

  it('checks the PKCE verifier, the redirect URI and the consent answer', async () => {
    const oauth = client();
    const challenge = createHash('sha256').update('right-verifier').digest('base64url');
    const base = {
      access_type: 'offline',
      scope: ['openid'],
      code_challenge: challenge,
      code_challenge_method: 'S256' as never,
    };
    const back = await consent(oauth.generateAuthUrl(base));
    await expect(
      oauth.getToken({ code: back.searchParams.get('code')!, codeVerifier: 'wrong-verifier' }),
    ).rejects.toThrow(/invalid_grant/);
    const bad = new URL(oauth.generateAuthUrl(base));
    bad.searchParams.set('redirect_uri', 'https://evil.example/cb');
    expect((await fetch(bad, { redirect: 'manual' })).status).toBe(400);
    google.setConsent('deny');
    try {
      expect((await consent(oauth.generateAuthUrl(base))).searchParams.get('error')).toBe('access_denied');
    } finally {
      google.setConsent('allow');
    }
  });

  it('grants a token for a service-account JWT signed with its key, with aud = the token URL', async () => {
    const key = google.createServiceAccount();
    const jwt = (aud: string) => {
      const now = Math.floor(Date.now() / 1000);
      const h = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
      const p = Buffer.from(
        JSON.stringify({
          iss: key.client_email,
          scope: 'https://www.googleapis.com/auth/spreadsheets',
          aud,
          iat: now,
          exp: now + 3600,
        }),
      ).toString('base64url');
      const s = createSign('RSA-SHA256').update(`${h}.${p}`).sign(key.private_key).toString('base64url');
      return `${h}.${p}.${s}`;
    };
    const post = (assertion: string) =>
      fetch(google.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      });
    const ok = await post(jwt(google.tokenUrl));
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    expect(google.validAccessToken(body.access_token, 'https://www.googleapis.com/auth/spreadsheets')).toBe(true);
    const wrongAud = await post(jwt('https://oauth2.googleapis.com/token'));
    expect(wrongAud.status).toBe(400);
    expect(((await wrongAud.json()) as { error: string }).error).toBe('invalid_grant');
    const tampered = jwt(google.tokenUrl).slice(0, -4) + 'AAAA';
    expect(((await (await post(tampered)).json()) as { error_description: string }).error_description).toMatch(
      /Signature/,
    );
  });
});

describe('Yandex OAuth fake', () => {
  it('runs authorize (force_confirm, PKCE) and both token grants', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const auth = new URL(`${yandex.url}/authorize`);
    Object.entries({
      response_type: 'code',
      client_id: yandex.clientId,
      redirect_uri: 'http://127.0.0.1:9/cb',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      force_confirm: 'yes',
    }).forEach(([k, v]) => auth.searchParams.set(k, v));
    const res = await fetch(auth, { redirect: 'manual' });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const tok = await fetch(`${yandex.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: yandex.clientId,
      }),
    });
    const t = (await tok.json()) as { access_token: string; refresh_token: string; token_type: string };
    expect(t.token_type).toBe('bearer');
    expect(yandex.validToken(t.access_token)).toBe(true);
    const refreshed = await fetch(`${yandex.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: t.refresh_token,
        client_id: yandex.clientId,
        client_secret: yandex.clientSecret,
      }),
    });
    expect(yandex.validToken(((await refreshed.json()) as { access_token: string }).access_token)).toBe(true);
  });
});
