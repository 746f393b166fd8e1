// Scheduled VK backups on the real Temporal server: a schedule made through POST /vk-backups fires
// twice (triggered) and copies only the new photos while its report grows, keeping earlier names even
// when likes change; its tokens are encrypted in the schedule; a failed run neither stops it nor loses
// what failed; pause, resume and delete through the API and `ferry backups`.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { listBackupSchedules } from '../../client/backup-schedules';
import type { PhotoBackupResult } from '../../lib/jobs/photo-backup';
import { modernSizes } from '../../fakes/vk-world';
import { testClient } from '../helpers/temporal';
import { IVAN_REPORT, runCli, startApi, startWorld, YANDEX_TOKEN, yandexFolder, type World } from '../vk/harness';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function world(): Promise<{ world: World; api: string; client: Client }> {
  const w = await startWorld();
  const { url, close } = await startApi(w);
  cleanups.push(() => w.close(), close);
  return { world: w, api: url, client: await testClient(w.config) };
}

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });
const post = (api: string, path: string, body?: unknown) =>
  fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

/** The n-th run of a schedule (1-based), once it has finished: its id and result (or failure). */
async function run(
  client: Client,
  scheduleId: string,
  n: number,
): Promise<{ id: string; result?: PhotoBackupResult; error?: Error }> {
  for (let i = 0; ; i += 1) {
    const { info } = await client.schedule.getHandle(scheduleId).describe();
    const action = info.recentActions[n - 1];
    if (action) {
      const id = action.action.workflow.workflowId;
      const outcome = await client.workflow
        .getHandle(id)
        .result()
        .then(
          (r) => ({ result: r as PhotoBackupResult }),
          (err: unknown) => ({ error: err as Error }),
        );
      return { id, ...outcome };
    }
    if (i > 300) throw new Error(`run ${n} of ${scheduleId} never started`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const uploadsTo = (w: World, folder: string) =>
  w.yandex.log.filter(
    (r) => r.method === 'POST' && r.path.endsWith('/resources/upload') && r.query.path?.includes(`/${folder}/`),
  );

describe('scheduled VK backups', () => {
  it('fires twice: copies only the new photos, keeps earlier names, and the report grows', async () => {
    const { world: w, api, client } = await world();
    const folder = `VK_sched_${randomUUID().slice(0, 8)}`;
    const created = await json(
      await post(api, '/vk-backups', {
        user: 'ivan.petrov',
        folder,
        vk_token: w.vk.validToken,
        targets: [{ cloud: 'yadisk', token: YANDEX_TOKEN }],
        schedule: { every: '1d' },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^vk-schedule-ivan\.petrov-/);
    expect(created.body.status_url).toBe(`/backup-schedules/${id}`);
    cleanups.push(() =>
      client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined),
    );

    // The schedule's action carries the tokens: encrypted, like every payload (and so is the memo).
    const raw = await client.workflowService.describeSchedule({
      namespace: w.config.TEMPORAL_NAMESPACE,
      scheduleId: id,
    });
    const bytes = Buffer.from(proto.temporal.api.workflowservice.v1.DescribeScheduleResponse.encode(raw).finish());
    expect(bytes.includes(Buffer.from('binary/encrypted'))).toBe(true);
    const encoding = (p?: { metadata?: Record<string, Uint8Array> | null } | null) =>
      Buffer.from(p?.metadata?.encoding ?? []).toString();
    expect(encoding(raw.schedule?.action?.startWorkflow?.input?.payloads?.[0])).toBe('binary/encrypted');
    expect(encoding(raw.memo?.fields?.ferryPhotoBackup)).toBe('binary/encrypted');
    for (const secret of [w.vk.validToken, YANDEX_TOKEN]) {
      expect(bytes.includes(Buffer.from(secret)), secret).toBe(false);
    }

    await w.withWorker(async () => {
      const first = await run(client, id, 1); // taken at once: the schedule's first backup
      expect(first.result?.report).toEqual(IVAN_REPORT);
      expect(uploadsTo(w, folder)).toHaveLength(5);

      // Two new photos, and one old photo's like count changes (7 -> 50): a fresh run would rename
      // three of the old five and copy them again; the schedule keeps their names.
      const ivan = w.vk.users.find((u) => u.id === 1001)!;
      for (const [id, date] of [
        [9107, '2024-04-02T10:00:00Z'],
        [9106, '2024-04-01T10:00:00Z'],
      ] as const) {
        ivan.photos.push({
          id,
          owner_id: 1001,
          album_id: -6,
          date: Date.parse(date) / 1000,
          likes: 3,
          sizes: modernSizes(1600, 1200),
        });
      }
      ivan.photos.find((p) => p.id === 9103)!.likes = 50;
      await client.schedule.getHandle(id).trigger();
      const second = await run(client, id, 2);

      const newOnes = [
        { file_name: '3_2024-04-02.jpg', size: 'w' },
        { file_name: '3_2024-04-01.jpg', size: 'w' },
      ];
      expect(second.result?.report).toEqual([...newOnes, ...IVAN_REPORT]);
      expect(second.result?.targets[0]?.summary).toMatchObject({ copied: 2, alreadyThere: 3, failed: 0 });
      expect(uploadsTo(w, folder)).toHaveLength(7);
      const files = yandexFolder(w, folder);
      expect([...files.keys()].sort()).toEqual(
        [...newOnes, ...IVAN_REPORT]
          .map((e) => e.file_name)
          .concat('photos.json')
          .sort(),
      );
      expect(JSON.parse(files.get('photos.json')!.toString())).toEqual([...newOnes, ...IVAN_REPORT]);

      // Each run is a VK backup of its own, with the usual status; the schedule lists both.
      const status = await json(await fetch(`${api}/vk-backups/${encodeURIComponent(second.id)}`));
      expect(status.body).toMatchObject({ state: 'completed', report: [...newOnes, ...IVAN_REPORT] });
      const schedule = await json(await fetch(`${api}/backup-schedules/${id}`));
      expect(schedule.body).toMatchObject({
        id,
        source: 'vk',
        user: 'ivan.petrov',
        album: 'profile',
        count: 5,
        folder,
        schedule: { every: '1d' },
        paused: false,
      });
      expect((schedule.body.recent_runs as Array<{ id: string }>).map((r) => r.id)).toEqual([first.id, second.id]);
      expect((schedule.body.next_runs as string[]).length).toBeGreaterThan(0);
    });
  });

  it('keeps going after a failed run, and the next run copies what failed before', async () => {
    const { world: w, api, client } = await world();
    const folder = `VK_retry_${randomUUID().slice(0, 8)}`;
    // Yandex refuses one photo in the first run.
    const refuse = w.yandex.faults.add({
      path: '/resources/upload',
      when: (_req, url) => url.searchParams.get('path')?.endsWith('/34_2024-01-31.jpg') ?? false,
      times: Infinity,
      fault: { kind: 'status', status: 403 },
    });
    const created = await json(
      await post(api, '/vk-backups', {
        user: 'ivan.petrov',
        folder,
        targets: [{ cloud: 'yadisk', token: YANDEX_TOKEN }],
        vk_token: w.vk.validToken,
        schedule: { cron: '0 4 * * *' },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    cleanups.push(() =>
      client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined),
    );

    await w.withWorker(async () => {
      const first = await run(client, id, 1);
      expect(first.result?.targets[0]).toMatchObject({ status: 'partial', summary: { copied: 4, failed: 1 } });
      expect(first.result?.report).toEqual(IVAN_REPORT.filter((e) => e.file_name !== '34_2024-01-31.jpg'));
      w.yandex.faults.remove(refuse);

      // The second run fails outright (VK rejects the token once): the schedule is not paused.
      w.vk.failNext('users.get', 5);
      await client.schedule.getHandle(id).trigger();
      const second = await run(client, id, 2);
      expect(second.error).toBeDefined();
      expect((await client.schedule.getHandle(id).describe()).state.paused).toBe(false);

      await client.schedule.getHandle(id).trigger();
      const third = await run(client, id, 3);
      expect(third.result?.targets[0]?.summary).toMatchObject({ copied: 1, alreadyThere: 4, failed: 0 });
      expect(third.result?.report).toEqual(IVAN_REPORT);
      expect(JSON.parse(yandexFolder(w, folder).get('photos.json')!.toString())).toEqual(IVAN_REPORT);
    });

    // Pause and resume, then delete, through the API.
    const paused = await json(await post(api, `/backup-schedules/${id}/pause`));
    expect(paused.body).toMatchObject({ id, paused: true, next_runs: [] });
    expect((await client.schedule.getHandle(id).describe()).state.paused).toBe(true);
    const resumed = await json(await post(api, `/backup-schedules/${id}/resume`));
    expect(resumed.body).toMatchObject({ id, paused: false, schedule: { cron: '0 4 * * *' } });
    expect((resumed.body.next_runs as string[])[0]).toMatch(/T04:00:00\.000Z$/);
    expect((await fetch(`${api}/backup-schedules/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${api}/backup-schedules/${id}`)).status).toBe(404);
    expect((await fetch(`${api}/backup-schedules/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a bad schedule with a 400 naming the field', async () => {
    const { world: w, api } = await world();
    const body = {
      user: 'ivan.petrov',
      vk_token: w.vk.validToken,
      targets: [{ cloud: 'yadisk', token: YANDEX_TOKEN }],
    };
    for (const [schedule, field] of [
      [{ every: 'often' }, 'schedule.every'],
      [{ every: '10s' }, 'schedule.every'],
      [{ cron: '0 4 * *' }, 'schedule.cron'],
      [{ cron: '99 4 * * *' }, 'schedule'], // well-formed, but Temporal refuses minute 99
      [{ every: '1d', cron: '0 4 * * *' }, 'schedule'],
      [{}, 'schedule'],
    ] as const) {
      const res = await json(await post(api, '/vk-backups', { ...body, schedule }));
      expect(res.status, JSON.stringify(schedule)).toBe(400);
      expect((res.body.error as { details: Array<{ field: string }> }).details.map((d) => d.field)).toContain(field);
    }
    expect((await fetch(`${api}/backup-schedules/etl-daily`)).status).toBe(404);
  });

  it('ferry vk-backup --every, then ferry backups list, pause, resume and delete', async () => {
    const { world: w, client } = await world();
    const folder = `VK_cli_${randomUUID().slice(0, 8)}`;
    await w.withWorker(async () => {
      const made = await runCli(w, ['vk-backup', 'ivan.petrov', '--every', '1d', '--folder', folder]);
      expect(made.code).toBe(0);
      const id = /Schedule (vk-schedule-\S+):/.exec(made.stdout)?.[1];
      expect(id, made.stdout + made.stderr).toBeDefined();
      cleanups.push(() =>
        client.schedule
          .getHandle(id!)
          .delete()
          .catch(() => undefined),
      );
      expect(made.stdout).toContain(
        `Scheduled VK backup of ivan.petrov every 1d: album profile, newest 5 -> Yandex Disk disk:/${folder}`,
      );
      expect((await run(client, id!, 1)).result?.report).toEqual(IVAN_REPORT);

      // Temporal's schedule list is eventually consistent: wait until it shows the new one.
      for (let i = 0; !(await listBackupSchedules(client)).some((s) => s.id === id); i += 1) {
        if (i > 100) throw new Error('the schedule never showed in the list');
        await new Promise((r) => setTimeout(r, 200));
      }
      const list = await runCli(w, ['backups', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(
        new RegExp(
          `^${id!.replace(/\./g, '\\.')}  vk ivan\\.petrov album profile, newest 5 every 1d -> yadisk:${folder}  next `,
          'm',
        ),
      );

      const paused = await runCli(w, ['backups', 'pause', id!]);
      expect(paused.code).toBe(0);
      expect(paused.stdout).toContain(`Paused: ${id}`);
      expect((await client.schedule.getHandle(id!).describe()).state.paused).toBe(true);
      const resumed = await runCli(w, ['backups', 'resume', id!]);
      expect(resumed.code).toBe(0);
      expect((await client.schedule.getHandle(id!).describe()).state.paused).toBe(false);
      const deleted = await runCli(w, ['backups', 'delete', id!]);
      expect(deleted.code).toBe(0);
      const gone = await runCli(w, ['backups', 'pause', id!]);
      expect(gone.code).toBe(2);
      expect(gone.stderr.trim()).toBe(`ferry: no backup schedule ${id} (see ferry backups list)`);
    });
  });
});
