// Every VK error the backup can meet, through both doors: the CLI's exit code and one-line reason, and
// the API's state + typed reason. Transient errors (10) are retried until the backup succeeds.
import { describe, expect, it } from 'vitest';
import { runCli, startApi, startWorld, YANDEX_TOKEN, type World } from './harness';
import { backupOutcome, worldWithApi } from '../helpers/backup-api';

let world: World;
let api: string;
worldWithApi(startWorld, startApi, (w, url) => {
  world = w;
  api = url;
});

const viaApi = (body: Record<string, unknown>) =>
  backupOutcome(`${api}/vk-backups`, {
    targets: [{ cloud: 'yadisk', token: YANDEX_TOKEN }],
    vk_token: world.vk.validToken,
    ...body,
  });

const CASES = [
  { name: 'private profile (30)', user: 'private.person', type: 'AccessDenied', exit: 4, reason: /private profile/ },
  { name: 'deleted user (18)', user: 'gone.user', type: 'SourceNotFound', exit: 4, reason: /deleted or banned/ },
  { name: 'invalid id (113)', user: '987654', type: 'InvalidInput', exit: 2, reason: /does not exist/ },
  {
    name: 'album access denied (200)',
    user: 'secret.album',
    album: '999',
    type: 'AccessDenied',
    exit: 4,
    reason: /album 999 .*denied/,
  },
  { name: 'bad token (5)', user: 'ivan.petrov', token: 'vk1.a.revoked', type: 'AuthRevoked', exit: 3, reason: /token/ },
];

describe('VK errors through the CLI and the API', () => {
  it('ends each with its clear reason: CLI exit code + one line, API state + typed reason', async () => {
    await world.withWorker(async () => {
      const results = await Promise.all(
        CASES.map(async (c) => {
          const args = [
            'vk-backup',
            c.user,
            '--to',
            'yadisk',
            '--no-progress',
            ...(c.album ? ['--album', c.album] : []),
          ];
          const [cli, status] = await Promise.all([
            runCli(world, args, { env: c.token ? { VK_TOKEN: c.token } : {} }),
            viaApi({ user: c.user, ...(c.album && { album: c.album }), ...(c.token && { vk_token: c.token }) }),
          ]);
          return { c, cli, status };
        }),
      );
      for (const { c, cli, status } of results) {
        expect({ case: c.name, exit: cli.code }).toEqual({ case: c.name, exit: c.exit });
        // The first line names the tokens used (cli/tokens.ts); the reason is the one line after it.
        const lines = cli.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('Tokens: '));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^ferry: /);
        expect(lines[0]).toMatch(c.reason);
        expect({ case: c.name, state: status.state, type: status.reason?.type }).toEqual({
          case: c.name,
          state: 'failed',
          type: c.type,
        });
        expect(status.reason?.message).toMatch(c.reason);
      }
    });
  });

  it('retries VK internal errors (10) with backoff and completes', async () => {
    world.vk.failNext('photos.get', 10, 2);
    const status = await world.withWorker(() => viaApi({ user: 'ivan.petrov', folder: 'VK_retry' }));
    expect(status.state).toBe('completed');
    expect(status.report).toHaveLength(5);
    expect(world.vk.calls.filter((c) => c.method === 'photos.get' && c.errorCode === 10)).toHaveLength(2);
  });
});
