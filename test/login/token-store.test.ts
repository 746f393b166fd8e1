// The saved tokens (cli/token-store.ts), which one a backup picks (cli/tokens.ts), what a pasted address
// holds (cli/login/io.ts). OK's request signature, which `ferry login ok` shares with the worker, is checked
// against the libraries' published vectors in test/ok/signature.test.ts.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expiryFrom, pastedParams, refusal } from '../../cli/login/io';
import { statusLines } from '../../cli/login/status';
import { isExpired, loadToken, saveToken, tokenPath } from '../../cli/token-store';
import { chooseToken, describeTokens, TokenUnavailable } from '../../cli/tokens';

const freshEnv = () => ({ XDG_CONFIG_HOME: join(mkdtempSync(join(tmpdir(), 'ferry-tokens-')), 'config') });

describe('token store', () => {
  it('keeps each network in its own 0600 file in a 0700 directory, and reads it back', () => {
    const env = freshEnv();
    const expiresAt = new Date(Date.now() + 86_400_000);
    const file = saveToken('vk', { accessToken: 'vk1.a.secret', expiresAt, userId: '1001', userName: 'Ivan' }, env);
    expect(file).toBe(join(env.XDG_CONFIG_HOME, 'ferry', 'vk.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_CONFIG_HOME, 'ferry')).mode & 0o777).toBe(0o700);
    expect(loadToken('vk', env)).toMatchObject({
      network: 'vk',
      accessToken: 'vk1.a.secret',
      expiresAt,
      userId: '1001',
      userName: 'Ivan',
      file,
    });
    expect(loadToken('ok', env)).toBeUndefined();
  });

  it('tightens a directory and a file that were left readable by others, leaving no temp file', () => {
    const env = freshEnv();
    const dir = join(env.XDG_CONFIG_HOME, 'ferry');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(tokenPath('ok', env), '{}', { mode: 0o644 });
    saveToken('ok', { accessToken: '-s-new' }, env);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(tokenPath('ok', env)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['ok.json']);
    expect(JSON.parse(readFileSync(tokenPath('ok', env), 'utf8'))).toMatchObject({
      access_token: '-s-new',
      expires_at: null,
    });
  });

  it('treats an unreadable file as no token', () => {
    const env = freshEnv();
    saveToken('yandex', { accessToken: 'y0_x' }, env);
    writeFileSync(tokenPath('yandex', env), 'not json');
    expect(loadToken('yandex', env)).toBeUndefined();
  });

  it('knows when a token expired', () => {
    expect(isExpired({ expiresAt: new Date(Date.now() - 1) })).toBe(true);
    expect(isExpired({ expiresAt: new Date(Date.now() + 60_000) })).toBe(false);
    expect(isExpired({})).toBe(false);
  });
});

describe('choosing the token a backup uses', () => {
  it('prefers the variable, else the saved token, and says which', () => {
    const env: NodeJS.ProcessEnv = freshEnv();
    saveToken('vk', { accessToken: 'saved', userId: '1001', userName: 'Ivan Petrov' }, env);
    expect(chooseToken('vk', { variable: 'VK_TOKEN', env: { ...env, VK_TOKEN: 'from-env' } })).toEqual({
      token: 'from-env',
      source: 'VK_TOKEN',
      fromStore: false,
    });
    const saved = chooseToken('vk', { variable: 'VK_TOKEN', env });
    expect(saved).toMatchObject({ token: 'saved', fromStore: true });
    expect(describeTokens([['vk', saved]])).toBe(
      'Tokens: VK saved by `ferry login vk` (Ivan Petrov, id 1001; no expiry)',
    );
    expect(describeTokens([['vk', saved]])).not.toContain('saved,');
  });

  it('refuses an expired saved token with the command that renews it, and a missing one as usage', () => {
    const env = freshEnv();
    const missing = () => chooseToken('ok', { variable: 'OK_ACCESS_TOKEN', env });
    expect(missing).toThrow(
      new TokenUnavailable('no OK token: run `ferry login ok`, or set OK_ACCESS_TOKEN', 'missing'),
    );
    saveToken('ok', { accessToken: 'old', expiresAt: new Date('2024-05-01T10:00:00Z') }, env);
    let err: unknown;
    try {
      missing();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenUnavailable);
    expect((err as TokenUnavailable).reason).toBe('expired');
    expect((err as Error).message).toBe(
      'the OK token saved by `ferry login ok` expired on 2024-05-01 10:00 UTC: run `ferry login ok` again',
    );
  });

  it('lets an expired Yandex access token through when it can be renewed', () => {
    const env = freshEnv();
    saveToken('yandex', { accessToken: 'y0_old', refreshToken: '1:r', expiresAt: new Date(Date.now() - 1000) }, env);
    const chosen = chooseToken('yandex', { variable: 'YANDEX_DISK_TOKEN', env, acceptExpired: (r) => Boolean(r) });
    expect(chosen).toMatchObject({ token: 'y0_old', refreshToken: '1:r' });
  });

  it('--status lists every network without printing a token', () => {
    const env = { ...freshEnv(), OK_ACCESS_TOKEN: 'operator' };
    const now = new Date('2025-01-01T00:00:00Z');
    saveToken(
      'vk',
      { accessToken: 'vk1.a.SECRET', expiresAt: new Date('2025-01-01T20:30:00Z'), userId: '1', userName: 'A B' },
      env,
    );
    saveToken('yandex', { accessToken: 'y0_SECRET', expiresAt: new Date('2024-12-01T00:00:00Z') }, env);
    const text = statusLines(env, now).join('\n');
    expect(text).toContain('VK           A B (id 1), expires 2025-01-01 20:30 UTC (in 20 h)');
    expect(text).toContain('OK           none: run `ferry login ok`');
    expect(text).toContain('Yandex Disk  saved token, EXPIRED 2024-12-01 00:00 UTC: run `ferry login yandex`');
    expect(text).toContain('Google Drive none: run `ferry login google`');
    expect(text).toContain('OK_ACCESS_TOKEN is set: backups use it instead of the saved OK token.');
    expect(text).not.toMatch(/SECRET|operator/);
  });
});

describe('what the user pastes', () => {
  it('takes the implicit-flow answer from the fragment of the whole address', () => {
    const p = pastedParams('https://oauth.vk.com/blank.html#access_token=vk1.a.T&expires_in=86400&user_id=1001');
    expect(Object.fromEntries(p)).toEqual({ access_token: 'vk1.a.T', expires_in: '86400', user_id: '1001' });
  });

  it('takes the fragment alone, an answer in the query, or a bare token', () => {
    expect(pastedParams('#access_token=a&expires_in=0').get('access_token')).toBe('a');
    expect(pastedParams('https://x.example/cb?error=access_denied&state=s').get('error')).toBe('access_denied');
    expect(pastedParams('  vk1.a.abc-DEF_123  ').get('access_token')).toBe('vk1.a.abc-DEF_123');
    expect([...pastedParams('two words')]).toEqual([]);
  });

  it("turns an error page's address into one sentence", () => {
    const p = pastedParams(
      'https://oauth.vk.com/blank.html#error=access_denied&error_reason=user_denied&error_description=User%20denied%20your%20request',
    );
    expect(refusal('VK', p)?.message).toBe(
      'VK gave no token: access was not allowed (access_denied: User denied your request); open the link again and allow access',
    );
    expect(refusal('VK', pastedParams('#access_token=x'))).toBeUndefined();
  });

  it('reads expires_in as seconds from now, 0 as none', () => {
    expect(expiryFrom('86400', 1000)?.getTime()).toBe(1000 + 86_400_000);
    expect(expiryFrom('0')).toBeUndefined();
    expect(expiryFrom(null)).toBeUndefined();
  });
});
