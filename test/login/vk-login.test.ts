// `ferry login vk` spawned as a user runs it against the VK OAuth and API fakes: the link it prints, the
// address pasted back (a good one, an error page's, an expired token's), the saved file's mode, and a
// `ferry vk-backup` that runs on the saved tokens alone (VK and Yandex Disk), or refuses an expired one.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveToken } from '../../cli/token-store';
import { startVkOAuthFake, VK_BLANK_PAGE, type VkOAuthFake } from '../../fakes/vk-oauth';
import { IVAN_REPORT, runCli, startWorld, YANDEX_TOKEN, type World } from '../vk/harness';

let world: World;
let oauth: VkOAuthFake;
let loginEnv: Record<string, string>;
beforeAll(async () => {
  world = await startWorld();
  oauth = await startVkOAuthFake(world.vk);
  loginEnv = { VK_CLIENT_ID: oauth.clientId, VK_OAUTH_URL: oauth.url, VK_TOKEN: '' };
});
afterAll(async () => {
  await oauth.close();
  await world.close();
});

/** The browser: opens the link, VK's consent page answers, and the user copies the address it lands on. */
async function landOn(link: string): Promise<string> {
  const res = await fetch(link, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}

/** `ferry login vk`, pasting what `paste` makes of the address VK sends the browser to. */
function loginVk(cwd: string, paste: (address: string) => string = (a) => a) {
  let link = '';
  const run = runCli(world, ['login', 'vk'], {
    cwd,
    env: loginEnv,
    onOutput: (text, child) => {
      const found = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(text)?.[1];
      if (!found || link) return;
      link = found;
      void landOn(link).then((address) => child.stdin.end(`${paste(address)}\n`));
    },
  });
  return run.then((r) => ({ ...r, link }));
}

const vkFile = (cwd: string) => join(cwd, 'config', 'ferry', 'vk.json');
const newCwd = () => mkdtempSync(join(tmpdir(), 'ferry-login-'));

describe('ferry login vk (spawned)', () => {
  it('prints the implicit-flow link, takes the pasted address and saves the checked token 0600', async () => {
    const cwd = newCwd();
    const run = await loginVk(cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const link = new URL(run.link);
    expect(Object.fromEntries(link.searchParams)).toEqual({
      client_id: oauth.clientId,
      display: 'page',
      redirect_uri: VK_BLANK_PAGE,
      scope: 'photos',
      response_type: 'token',
      v: '5.199',
    });
    expect(run.stdout).toMatch(/Saved the VK token of Ivan Petrov \(id 1001\) to .*vk\.json \(0600\); it expires /);
    expect(statSync(vkFile(cwd)).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, 'config', 'ferry')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(vkFile(cwd), 'utf8')) as Record<string, string>;
    expect(saved).toMatchObject({
      network: 'vk',
      user_id: '1001',
      user_name: 'Ivan Petrov',
      client_id: oauth.clientId,
    });
    const lifetime = Date.parse(saved.expires_at!) - Date.now();
    expect(lifetime).toBeGreaterThan(86_000_000);
    expect(lifetime).toBeLessThanOrEqual(86_400_000);
    // The token was checked with one users.get and is never echoed.
    expect(world.vk.calls.filter((c) => c.method === 'users.get' && !c.params.user_ids)).not.toHaveLength(0);
    expect(run.stdout).not.toContain(saved.access_token);
  });

  it("says in one sentence that VK gave no token when the user pastes the error page's address", async () => {
    const cwd = newCwd();
    oauth.setConsent('deny');
    const run = await loginVk(cwd).finally(() => oauth.setConsent({ userId: 1001 }));
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'ferry: VK gave no token: access was not allowed (access_denied: User denied your request); open the link again and allow access\n',
    );
    expect(existsSync(vkFile(cwd))).toBe(false);
  });

  it('says the token has expired when the pasted address holds an expired one, and saves nothing', async () => {
    const cwd = newCwd();
    const run = await loginVk(cwd, (address) => {
      world.vk.expireToken(new URLSearchParams(address.split('#')[1]).get('access_token')!);
      return address;
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'ferry: this VK token has expired: open the link again, allow access and paste the new address\n',
    );
    expect(existsSync(vkFile(cwd))).toBe(false);
  });

  it('asks for VK_CLIENT_ID in one line when no app is configured', async () => {
    const run = await runCli(world, ['login', 'vk'], { env: { VK_TOKEN: '' }, input: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('ferry: VK_CLIENT_ID: required for `ferry login vk` (the id of your VK app)\n');
  });
});

describe('backups on the saved tokens', () => {
  it('vk-backup uses the tokens of `ferry login vk` and `ferry login yandex --paste`, says so, and --status lists them', async () => {
    const cwd = newCwd();
    expect((await loginVk(cwd)).code).toBe(0);
    const yandex = await runCli(world, ['login', 'yandex', '--paste'], { cwd, input: `${YANDEX_TOKEN}\n` });
    expect(yandex.code).toBe(0);
    expect(yandex.stdout).toContain('Saved the Yandex Disk token of ferry.tester to');

    const noVars = { VK_TOKEN: '', YANDEX_DISK_TOKEN: '' };
    const status = await runCli(world, ['login', '--status'], { cwd, env: noVars });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/VK {11}Ivan Petrov \(id 1001\), expires .* UTC \(in 23 h\)/);
    expect(status.stdout).toMatch(/Yandex Disk {2}ferry\.tester \(id 1130000012345678\), no expiry given/);
    expect(status.stdout).not.toContain(YANDEX_TOKEN);
    expect(status.stdout).not.toContain('is set');

    const run = await world.withWorker(() =>
      runCli(world, ['vk-backup', 'ivan.petrov', '--folder', 'VK_saved', '--json', 'r.json', '--no-progress'], {
        cwd,
        env: noVars,
      }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^Tokens: VK saved by `ferry login vk` \(Ivan Petrov, id 1001; expires .* UTC\); Yandex Disk saved by `ferry login yandex` \(ferry\.tester, id 1130000012345678; no expiry\)\n$/,
    );
    expect(JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'))).toEqual(IVAN_REPORT);
  });

  it('says the variable when one is set', async () => {
    const cwd = newCwd();
    saveToken('vk', { accessToken: 'vk1.a.not-used' }, { XDG_CONFIG_HOME: join(cwd, 'config') });
    const run = await world.withWorker(() =>
      runCli(world, ['vk-backup', 'ivan.petrov', '--folder', 'VK_env', '--no-progress'], { cwd }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('Tokens: VK from VK_TOKEN; Yandex Disk from YANDEX_DISK_TOKEN\n');
  });

  it('refuses an expired saved VK token with the login to run, before starting anything', async () => {
    const cwd = newCwd();
    const expiresAt = new Date('2025-03-01T08:00:00Z');
    saveToken('vk', { accessToken: world.vk.validToken, expiresAt }, { XDG_CONFIG_HOME: join(cwd, 'config') });
    const run = await runCli(world, ['vk-backup', 'ivan.petrov', '--no-progress'], { cwd, env: { VK_TOKEN: '' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'ferry: the VK token saved by `ferry login vk` expired on 2025-03-01 08:00 UTC: run `ferry login vk` again\n',
    );
    expect(run.stdout).not.toContain('Workflow');
  });

  it('adds the login to run when VK refuses a saved token during the backup', async () => {
    const cwd = newCwd();
    const token = world.vk.issueToken(1001, { expiresInSeconds: 3600 });
    const config = { XDG_CONFIG_HOME: join(cwd, 'config') };
    saveToken('vk', { accessToken: token, expiresAt: new Date(Date.now() + 3_600_000), userId: '1001' }, config);
    world.vk.expireToken(token); // revoked at VK before the saved expiry
    const run = await world.withWorker(() =>
      runCli(world, ['vk-backup', 'ivan.petrov', '--no-progress'], { cwd, env: { VK_TOKEN: '' } }),
    );
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'ferry: VK rejected the access token: get a new one and try again (VK error 5); run `ferry login vk`',
    );
  });

  it('says how to get a token when there is none', async () => {
    const run = await runCli(world, ['vk-backup', 'ivan.petrov'], { env: { VK_TOKEN: '' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'ferry: no VK token: run `ferry login vk`, or set VK_TOKEN (a VK user access token with the photos scope)\n',
    );
  });
});

describe('ferry login google (spawned)', () => {
  it('asks for consent again and saves the refresh token 0600, which --status then lists', async () => {
    const cwd = newCwd();
    let consented = false;
    const run = await runCli(world, ['login', 'google'], {
      cwd,
      onOutput: (text) => {
        const url = /(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)/.exec(text)?.[1];
        if (!url || consented) return;
        consented = true;
        // The "browser": Google's consent page redirects to the CLI's loopback server.
        void fetch(url).then((r) => r.text());
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Saved the Google Drive refresh token to .*google-drive\.json \(0600\)\./);
    expect(statSync(join(cwd, 'config', 'ferry', 'google-drive.json')).mode & 0o777).toBe(0o600);
    const status = await runCli(world, ['login', '--status'], { cwd });
    expect(status.stdout).toMatch(/Google Drive refresh token, no expiry \(until revoked\); saved \d{4}-/);
    expect(status.stdout).toContain('VK           none: run `ferry login vk`');
  });
});
