// okBackup on the real Temporal server against the OK fake: the default run (5 files, names, sizes,
// report), every album of a 295-photo user (paging), and OK's errors through the CLI and the API —
// a bad signature, an expired token, a private user — each with its typed reason and exit code.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../lib/photo-naming';
import { okBackup } from '../../workflows/ok-backup';
import type { PhotoBackupInput } from '../../lib/jobs/photo-backup';
import { ANNA_UID, BORIS_UID, SECRET_UID } from '../../fakes/ok-world';
import { testClient } from '../helpers/temporal';
import { ANNA_REPORT, runCli, startApi, startOkWorld, YANDEX_TOKEN, yandexFolder, type OkWorld } from './harness';
import { backupOutcome, worldWithApi } from '../helpers/backup-api';

let world: OkWorld;
let api: string;
worldWithApi(startOkWorld, startApi, (w, url) => {
  world = w;
  api = url;
});

const yandexTarget = () => ({ cloud: 'yadisk' as const, token: YANDEX_TOKEN });
const annaPhoto = (id: string) => world.ok.users.find((u) => u.uid === ANNA_UID)!.photos.find((p) => p.id === id)!;

async function backup(input: Partial<PhotoBackupInput>) {
  const client = await testClient(world.config);
  return world.withWorker(() =>
    client.workflow.execute(okBackup, {
      taskQueue: world.taskQueue,
      workflowId: `ok-backup-test-${randomUUID()}`,
      args: [{ user: ANNA_UID, sourceToken: world.ok.validToken, targets: [yandexTarget()], ...input }],
    }),
  );
}

const viaApi = (body: Record<string, unknown>) =>
  backupOutcome(`${api}/ok-backups`, {
    targets: [{ cloud: 'yadisk', token: YANDEX_TOKEN }],
    ok_token: world.ok.validToken,
    ...body,
  });

describe('okBackup', () => {
  it('copies the 5 newest personal photos to OK_Images at their largest size, named by likes, with the report', async () => {
    const result = await backup({});
    expect(result.folder).toBe('OK_Images');
    expect(result.report).toEqual(ANNA_REPORT);
    expect(result.owner.id).toBe(ANNA_UID);
    expect(result.targets[0]).toMatchObject({ cloud: 'yadisk', status: 'done', summary: { copied: 5, failed: 0 } });

    const files = yandexFolder(world, 'OK_Images');
    expect([...files.keys()].sort()).toEqual([...ANNA_REPORT.map((e) => e.file_name), 'photos.json'].sort());
    const ids = ['880005', '880004', '880003', '880002', '880001'];
    ANNA_REPORT.forEach((e, i) => {
      expect(files.get(e.file_name)?.equals(world.ok.fileBytes(annaPhoto(ids[i]!), e.size))).toBe(true);
    });
    expect(files.get('photos.json')?.toString()).toBe(
      '[{"file_name": "7_2024-03-05.jpg", "size": "pic_max"}, {"file_name": "7_2024-03-01_880004.jpg", "size": "pic1024x768"}, ' +
        '{"file_name": "7_2024-03-01_880003.jpg", "size": "pic_max"}, {"file_name": "34_2024-02-15.png", "size": "pic_max"}, ' +
        '{"file_name": "34_2024-01-31.jpg", "size": "pic_max"}]',
    );
    // Yandex fetched each photo from the (fake) OK CDN itself: upload from URL.
    const fromUrl = world.yandex.log.filter((r) => r.path.endsWith('/resources/upload') && r.query.url);
    expect(fromUrl.filter((r) => r.query.path?.includes('OK_Images'))).toHaveLength(5);
  });

  it('copies every album of a 295-photo user, each listing paged with its own anchor', async () => {
    const folder = `OK_all_${randomUUID().slice(0, 8)}`;
    const result = await backup({ user: BORIS_UID, count: 'all', album: 'all', folder, copy: { concurrency: 16 } });
    expect(result.report).toHaveLength(295);
    expect(result.targets[0]).toMatchObject({ status: 'done', summary: { copied: 295, failed: 0 } });
    const files = yandexFolder(world, folder);
    expect(files.size).toBe(296);
    expect(files.get('photos.json')?.toString()).toBe(formatReport(result.report));
    const calls = world.ok.calls.filter((c) => c.params.fid === BORIS_UID);
    expect(calls.filter((c) => c.method === 'photos.getAlbums')).toHaveLength(2);
    expect(calls.filter((c) => c.method === 'photos.getPhotos')).toHaveLength(5);
    expect(calls.every((c) => c.errorCode === undefined)).toBe(true);
  }, 180_000);

  it('waits out flood control and completes', async () => {
    world.ok.failNext('photos.getPhotos', 8, 3);
    const result = await backup({ folder: `OK_flood_${randomUUID().slice(0, 8)}` });
    expect(result.report).toEqual(ANNA_REPORT);
    expect(world.ok.calls.filter((c) => c.errorCode === 8).length).toBeGreaterThanOrEqual(3);
  });

  it('ends a bad signature, an expired token and a private user with their reasons: CLI and API', async () => {
    const cases = [
      {
        name: 'private user (455)',
        user: SECRET_UID,
        type: 'AccessDenied',
        exit: 4,
        reason: /keeps their photos private/,
      },
      {
        name: 'expired token (102)',
        user: ANNA_UID,
        token: world.ok.expiredToken,
        type: 'AuthRevoked',
        exit: 3,
        reason: /token has expired/,
      },
    ];
    const run = (c: { user: string; token?: string }) =>
      Promise.all([
        runCli(world, ['ok-backup', c.user, '--no-progress'], { env: c.token ? { OK_ACCESS_TOKEN: c.token } : {} }),
        viaApi({ user: c.user, ...(c.token && { ok_token: c.token }) }),
      ]);
    const results = await world.withWorker(() => Promise.all(cases.map(run)));
    // A worker whose OK_APPLICATION_SECRET_KEY is wrong signs every call wrongly: OK error 104.
    const badSig = await world.withWorker(() => run({ user: ANNA_UID }), {
      OK_APPLICATION_SECRET_KEY: 'not-the-secret',
    });
    cases.push({
      name: 'bad signature (104)',
      user: ANNA_UID,
      type: 'ConfigurationError',
      exit: 2,
      reason: /OK_APPLICATION_SECRET_KEY/,
    });
    results.push(badSig);

    cases.forEach((c, i) => {
      const [cli, status] = results[i]!;
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
    });
    expect(world.ok.calls.filter((c) => c.errorCode === 104).length).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
