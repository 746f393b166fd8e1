// POST /ok-backups and GET /ok-backups/{id} over real HTTP (validation naming each field, 202 + status
// URL, the /vk-backups shape, tokens never echoed nor stored in plaintext, OpenAPI), and `ferry
// ok-backup` spawned as a user runs it (progress bar, default folder OK_Images, the JSON report), also on
// the token `ferry login ok` saved.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { saveToken } from '../../cli/token-store';
import { ANNA_UID } from '../../fakes/ok-world';
import { testClient } from '../helpers/temporal';
import { ANNA_REPORT, runCli, startApi, startOkWorld, YANDEX_TOKEN, yandexFolder, type OkWorld } from './harness';
import { postJson, worldWithApi } from '../helpers/backup-api';

let world: OkWorld;
let api: string;
worldWithApi(startOkWorld, startApi, (w, url) => {
  world = w;
  api = url;
});

const post = (body: unknown) => postJson(`${api}/ok-backups`, body);

describe('/ok-backups', () => {
  it('refuses bad requests with a 400 naming each field', async () => {
    const res = await post({
      user: '',
      count: 0,
      album: 'no such/album',
      ok_token: '',
      targets: [{ cloud: 'dropbox' }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: Array<{ field: string }> } };
    expect(body.error.code).toBe('invalid_request');
    const fields = body.error.details.map((d) => d.field);
    for (const f of ['user', 'count', 'album', 'ok_token']) expect(fields).toContain(f);
    expect(fields.some((f) => f.startsWith('targets'))).toBe(true);
    expect((await fetch(`${api}/ok-backups/ok-backup-nope`)).status).toBe(404);
    // A VK backup's id is not an OK backup.
    expect((await fetch(`${api}/ok-backups/vk-backup-1`)).status).toBe(404);
  });

  it('starts a backup (202) and answers the /vk-backups shape, never echoing a token', async () => {
    const driveRefresh = world.oauth.issueTokens().refreshToken;
    const res = await post({
      user: ANNA_UID,
      folder: 'OK_api',
      ok_token: world.ok.validToken,
      targets: [
        { cloud: 'yadisk', token: YANDEX_TOKEN },
        { cloud: 'google_drive', refresh_token: driveRefresh },
      ],
    });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; status_url: string };
    expect(created.id).toMatch(/^ok-backup-/);
    expect(created.status_url).toBe(`/ok-backups/${created.id}`);
    const seen: string[] = [];
    const final = await world.withWorker(async () => {
      for (;;) {
        const text = await (await fetch(`${api}${created.status_url}`)).text();
        seen.push(text);
        const status = JSON.parse(text) as { state: string };
        if (status.state !== 'running') return status as Record<string, unknown>;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    expect(final).toMatchObject({
      id: created.id,
      state: 'completed',
      phase: 'done',
      owner: { id: ANNA_UID },
      folder: 'OK_api',
      progress: { photos: { total: 10, done: 10 } },
      report: ANNA_REPORT,
    });
    expect((final.targets as Array<{ cloud: string; status: string }>).map((t) => [t.cloud, t.status])).toEqual([
      ['yadisk', 'done'],
      ['google_drive', 'done'],
    ]);
    const secrets = [YANDEX_TOKEN, driveRefresh, world.ok.validToken, world.ok.applicationSecretKey];
    for (const text of seen) for (const secret of secrets) expect(text).not.toContain(secret);
    const client = await testClient(world.config);
    const raw = await client.workflowService.getWorkflowExecutionHistory({
      namespace: world.config.TEMPORAL_NAMESPACE,
      execution: { workflowId: created.id },
    });
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(raw.history!).finish());
    for (const secret of secrets) expect(bytes.includes(Buffer.from(secret))).toBe(false);
  });

  it('is in the OpenAPI document with the /vk-backups shapes', async () => {
    const doc = (await (await fetch(`${api}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/ok-backups', '/ok-backups/{id}']));
    const { OkBackupRequest, VkBackupRequest, OkBackupStatus, VkBackupStatus } = doc.components.schemas;
    expect(Object.keys(OkBackupRequest!.properties)).toEqual(
      Object.keys(VkBackupRequest!.properties).map((k) => (k === 'vk_token' ? 'ok_token' : k)),
    );
    expect(OkBackupStatus).toEqual(VkBackupStatus);
  });
});

describe('ferry ok-backup (spawned)', () => {
  it('shows the progress bar, backs up to OK_Images and writes the JSON report', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
    const run = await world.withWorker(() =>
      runCli(world, ['ok-backup', `https://ok.ru/profile/${ANNA_UID}`], { cwd }),
    );
    expect(run.stderr).toMatch(/\|[█░]+\| \d+% \| \d+\/\d+ photos/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Backing up OK https://ok.ru/profile/${ANNA_UID}: album personal, newest 5`);
    expect(run.stdout).toContain('Yandex Disk disk:/OK_Images: done (5 copied, 0 already there, 0 failed');
    const reportFile = join(cwd, `ok_backup_https___ok.ru_profile_${ANNA_UID}.json`);
    expect(run.stdout).toContain(`Report: ${reportFile}`);
    expect(JSON.parse(readFileSync(reportFile, 'utf8'))).toEqual(ANNA_REPORT);
    expect([...yandexFolder(world, 'OK_Images').keys()].sort()).toEqual(
      [...ANNA_REPORT.map((e) => e.file_name), 'photos.json'].sort(),
    );
  });

  it('--every creates a backup schedule whose runs are OK backups', async () => {
    const client = await testClient(world.config);
    await world.withWorker(async () => {
      const made = await runCli(world, ['ok-backup', ANNA_UID, '--every', '12h', '--folder', 'OK_sched']);
      expect(made.code).toBe(0);
      const id = /Schedule (ok-schedule-\S+):/.exec(made.stdout)?.[1];
      expect(id, made.stdout + made.stderr).toBeDefined();
      expect(made.stdout).toContain(`Scheduled OK backup of ${ANNA_UID} every 12h: album personal, newest 5`);
      let runId: string | undefined;
      while (!runId) {
        runId = (await client.schedule.getHandle(id!).describe()).info.recentActions[0]?.action.workflow.workflowId;
        await new Promise((r) => setTimeout(r, 200));
      }
      await client.workflow.getHandle(runId).result();
      const status = (await (await fetch(`${api}/ok-backups/${encodeURIComponent(runId)}`)).json()) as object;
      expect(status).toMatchObject({ state: 'completed', folder: 'OK_sched', report: ANNA_REPORT });
      expect(JSON.parse(yandexFolder(world, 'OK_sched').get('photos.json')!.toString())).toEqual(ANNA_REPORT);
      const deleted = await runCli(world, ['backups', 'delete', id!]);
      expect(deleted.code).toBe(0);
      expect((await fetch(`${api}/backup-schedules/${id}`)).status).toBe(404);
    });
  });

  it('refuses a bad option or a missing token with one line and exit code 2', async () => {
    const bad = await runCli(world, ['ok-backup', ANNA_UID, '--album', 'a/b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('ferry: album must be personal, all or an album id');
    const noToken = await runCli(world, ['ok-backup', ANNA_UID], { env: { OK_ACCESS_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr.trim()).toMatch(/^ferry: no OK token: run `ferry login ok`, or set OK_ACCESS_TOKEN/);
  });
});

describe('ferry ok-backup on the token `ferry login ok` saved', () => {
  const withSaved = (token: string, expiresAt: Date) => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
    const record = { accessToken: token, expiresAt, userId: ANNA_UID, userName: 'Anna Ivanova' };
    saveToken('ok', record, { XDG_CONFIG_HOME: join(cwd, 'config') });
    return cwd;
  };
  const noVar = { OK_ACCESS_TOKEN: '' };

  it('backs up with it and says so on stderr', async () => {
    const cwd = withSaved(world.ok.validToken, new Date(Date.now() + 86_400_000));
    const run = await world.withWorker(() =>
      runCli(world, ['ok-backup', ANNA_UID, '--folder', 'OK_saved', '--json', 'r.json', '--no-progress'], {
        cwd,
        env: noVar,
      }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^Tokens: OK saved by `ferry login ok` \(Anna Ivanova, id 571000000001; expires .* UTC\); Yandex Disk from YANDEX_DISK_TOKEN\n$/,
    );
    expect(JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'))).toEqual(ANNA_REPORT);
  });

  it('refuses it past its expiry with the login to run, before starting anything', async () => {
    const cwd = withSaved(world.ok.validToken, new Date('2025-03-01T08:00:00Z'));
    const run = await runCli(world, ['ok-backup', ANNA_UID, '--no-progress'], { cwd, env: noVar });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'ferry: the OK token saved by `ferry login ok` expired on 2025-03-01 08:00 UTC: run `ferry login ok` again\n',
    );
    expect(run.stdout).not.toContain('Workflow');
  });

  it('adds the login to run when OK refuses it during the backup', async () => {
    // Saved as valid for a day, but OK ended the session early (error 102).
    const cwd = withSaved(world.ok.expiredToken, new Date(Date.now() + 86_400_000));
    const run = await world.withWorker(() =>
      runCli(world, ['ok-backup', ANNA_UID, '--no-progress'], { cwd, env: noVar }),
    );
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'ferry: the OK access token has expired: get a new one and try again (OK error 102); run `ferry login ok`',
    );
  });
});
