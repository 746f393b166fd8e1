// `ferry login ok` (OK's client OAuth, a pasted address, a signed users.getCurrentUser) and `ferry login
// yandex` (PKCE on the loopback redirect, or a pasted token) spawned against their fakes.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/ports';
import { startOkFake, type OkFake } from '../../fakes/ok';
import { startOkOAuthFake, type OkOAuthFake } from '../../fakes/ok-oauth';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';
import { runCli } from '../vk/harness';

let ok: OkFake;
let okOAuth: OkOAuthFake;
let yandexOAuth: YandexOAuthFake;
let disk: YandexDiskFake;
let redirectUri: string;
let world: { env: Record<string, string>; vk: { validToken: string } };
beforeAll(async () => {
  ok = await startOkFake({ users: [{ uid: '570000000042', name: 'Olga Smirnova', albums: [], photos: [] }] });
  okOAuth = await startOkOAuthFake(ok);
  yandexOAuth = await startYandexOAuthFake();
  disk = await startYandexDiskFake({ oauth: yandexOAuth });
  redirectUri = `http://127.0.0.1:${await freePort()}/`;
  yandexOAuth.addRedirectUri(redirectUri);
  world = {
    vk: { validToken: '' },
    env: {
      OK_APPLICATION_ID: okOAuth.applicationId,
      OK_APPLICATION_KEY: ok.applicationKey,
      OK_APPLICATION_SECRET_KEY: ok.applicationSecretKey,
      OK_OAUTH_URL: okOAuth.oauthUrl,
      OK_API_URL: ok.apiUrl,
      YANDEX_CLIENT_ID: yandexOAuth.clientId,
      YANDEX_CLIENT_SECRET: yandexOAuth.clientSecret,
      YANDEX_OAUTH_URL: yandexOAuth.url,
      YANDEX_DISK_API_URL: disk.url,
      YANDEX_LOGIN_REDIRECT_URI: redirectUri,
    },
  };
});
afterAll(async () => {
  await Promise.all([ok.close(), okOAuth.close(), yandexOAuth.close(), disk.close()]);
});

const newCwd = () => mkdtempSync(join(tmpdir(), 'ferry-login-'));
const saved = (cwd: string, name: string) =>
  JSON.parse(readFileSync(join(cwd, 'config', 'ferry', name), 'utf8')) as Record<string, string>;

/** `ferry login ok`: the "browser" follows the printed link; `paste` may change the address before it is pasted. */
function loginOk(cwd: string, options: { env?: Record<string, string>; paste?: (a: string) => string } = {}) {
  let link = '';
  const run = runCli(world, ['login', 'ok'], {
    cwd,
    env: options.env,
    onOutput: (text, child) => {
      const found = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/.exec(text)?.[1];
      if (!found || link) return;
      link = found;
      void fetch(link, { redirect: 'manual' }).then((res) => {
        const address = res.headers.get('location') ?? '';
        child.stdin.end(`${options.paste ? options.paste(address) : address}\n`);
      });
    },
  });
  return run.then((r) => ({ ...r, link }));
}

describe('ferry login ok (spawned)', () => {
  it("prints OK's client-OAuth link, checks the pasted token with a signed call and saves it 0600", async () => {
    const cwd = newCwd();
    const run = await loginOk(cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Object.fromEntries(new URL(run.link).searchParams)).toEqual({
      client_id: okOAuth.applicationId,
      scope: 'VALUABLE_ACCESS;LONG_ACCESS_TOKEN;PHOTO_CONTENT',
      response_type: 'token',
      redirect_uri: 'https://oauth.mycdn.me/blank.html',
      layout: 'w',
    });
    expect(run.stdout).toMatch(/Saved the OK token of Olga Smirnova \(id 570000000042\) to .*ok\.json \(0600\)/);
    expect(statSync(join(cwd, 'config', 'ferry', 'ok.json')).mode & 0o777).toBe(0o600);
    const file = saved(cwd, 'ok.json');
    expect(file).toMatchObject({ network: 'ok', user_id: '570000000042', client_id: okOAuth.applicationId });
    // LONG_ACCESS_TOKEN: 30 days.
    expect(Date.parse(file.expires_at!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(file).not.toHaveProperty('session_secret_key');
    const check = ok.calls.at(-1)!;
    expect({ method: check.method, errorCode: check.errorCode }).toEqual({
      method: 'users.getCurrentUser',
      errorCode: undefined,
    });
    // A POST, so the token stays out of URLs and access logs.
    expect(check.http).toBe('POST');
  });

  it('says the token has expired (OK error 102), and saves nothing', async () => {
    const cwd = newCwd();
    const run = await loginOk(cwd, {
      paste: (address) => {
        ok.expireToken(new URLSearchParams(address.split('#')[1]).get('access_token')!);
        return address;
      },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'ferry: this OK token has expired: open the link again, allow access and paste the new address\n',
    );
    expect(existsSync(join(cwd, 'config', 'ferry', 'ok.json'))).toBe(false);
  });

  it("names the app's keys when OK refuses the signature (104), and the refusal of an error page", async () => {
    const badKey = await loginOk(newCwd(), { env: { OK_APPLICATION_SECRET_KEY: 'wrong' } });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toBe(
      "ferry: OK refused Ferry's app keys (OK error 104: PARAM_SIGNATURE : Invalid signature): check OK_APPLICATION_KEY and OK_APPLICATION_SECRET_KEY\n",
    );
    okOAuth.setConsent('deny');
    const denied = await loginOk(newCwd()).finally(() => okOAuth.setConsent({ uid: ok.users[0]!.uid }));
    expect(denied.code).toBe(3);
    expect(denied.stderr).toBe(
      'ferry: OK gave no token: access was not allowed (access_denied); open the link again and allow access\n',
    );
  });
});

describe('ferry login yandex (spawned)', () => {
  it('runs the PKCE flow on the loopback redirect and saves the token with its refresh token', async () => {
    const cwd = newCwd();
    let opened = false;
    const run = await runCli(world, ['login', 'yandex'], {
      cwd,
      onOutput: (text) => {
        const link = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(text)?.[1];
        if (!link || opened) return;
        opened = true;
        // The browser: Yandex's consent page redirects to Ferry's loopback server.
        void fetch(link).then((r) => r.text());
      },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const asked = yandexOAuth.authRequests.at(-1)!;
    expect(asked).toMatchObject({
      response_type: 'code',
      client_id: yandexOAuth.clientId,
      redirect_uri: redirectUri,
      code_challenge_method: 'S256',
      force_confirm: 'yes',
    });
    expect(asked.code_challenge).toMatch(/^[\w-]{43}$/);
    const file = saved(cwd, 'yandex-disk.json');
    expect(statSync(join(cwd, 'config', 'ferry', 'yandex-disk.json')).mode & 0o777).toBe(0o600);
    expect(yandexOAuth.validToken(file.access_token!)).toBe(true);
    expect(file.refresh_token).toMatch(/^1:fake:/);
    expect(file).toMatchObject({ user_name: 'ferry.tester', client_id: yandexOAuth.clientId });
    expect(run.stdout).toContain('Saved the Yandex Disk token of ferry.tester to');
    expect(run.stdout).not.toContain(file.access_token);
  });

  it('refuses a pasted token Yandex Disk does not accept', async () => {
    const cwd = newCwd();
    const { accessToken } = yandexOAuth.issueTokens();
    yandexOAuth.revoke(accessToken);
    const run = await runCli(world, ['login', 'yandex', '--paste'], { cwd, input: `${accessToken}\n` });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'ferry: Yandex Disk refused this token (UnauthorizedError): it is expired or revoked; get a new one\n',
    );
    expect(existsSync(join(cwd, 'config', 'ferry', 'yandex-disk.json'))).toBe(false);
  });
});
