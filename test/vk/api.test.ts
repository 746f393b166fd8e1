// POST /vk-backups and GET /vk-backups/{id} over real HTTP: validation naming each field, 202 with a
// status URL, progress and the report, tokens never echoed, and the routes in /openapi.json.
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { testClient } from '../helpers/temporal';
import { startApi, startWorld, YANDEX_TOKEN, type World } from './harness';
import { postJson, worldWithApi } from '../helpers/backup-api';

let world: World;
let api: string;
worldWithApi(startWorld, startApi, (w, url) => {
  world = w;
  api = url;
});

const post = (body: unknown) => postJson(`${api}/vk-backups`, body);

describe('/vk-backups', () => {
  it('refuses bad requests with a 400 naming each field', async () => {
    const res = await post({ user: '', count: 0, album: 'friends', targets: [{ cloud: 'dropbox' }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: Array<{ field: string }> } };
    expect(body.error.code).toBe('invalid_request');
    const fields = body.error.details.map((d) => d.field);
    for (const f of ['user', 'count', 'album']) expect(fields).toContain(f);
    expect(fields.some((f) => f.startsWith('targets'))).toBe(true);

    const twice = await post({
      user: 'x',
      targets: [
        { cloud: 'yadisk', token: 'a' },
        { cloud: 'yadisk', token: 'b' },
      ],
    });
    expect(twice.status).toBe(400);
    expect((await fetch(`${api}/vk-backups/vk-backup-nope`)).status).toBe(404);
  });

  it('starts a backup (202), shows progress, then the report; never echoes a token', async () => {
    const driveRefresh = world.oauth.issueTokens().refreshToken;
    const res = await post({
      user: 'ivan.petrov',
      folder: 'VK_api',
      vk_token: world.vk.validToken,
      targets: [
        { cloud: 'yadisk', token: YANDEX_TOKEN },
        { cloud: 'google_drive', refresh_token: driveRefresh },
      ],
    });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; status_url: string };
    expect(created.status_url).toBe(`/vk-backups/${created.id}`);

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
      state: 'completed',
      phase: 'done',
      owner: { id: '1001', name: 'Ivan Petrov' },
      folder: 'VK_api',
      progress: { photos: { total: 10, done: 10 } },
    });
    expect((final.report as unknown[]).length).toBe(5);
    expect((final.targets as Array<{ status: string }>).map((t) => t.status)).toEqual(['done', 'done']);
    for (const text of seen) {
      for (const secret of [YANDEX_TOKEN, driveRefresh, world.vk.validToken]) expect(text).not.toContain(secret);
    }
    // Temporal stores the request encrypted (the payload codec): no token in the raw history.
    const client = await testClient(world.config);
    const raw = await client.workflowService.getWorkflowExecutionHistory({
      namespace: world.config.TEMPORAL_NAMESPACE,
      execution: { workflowId: created.id },
    });
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(raw.history!).finish());
    expect(bytes.includes(Buffer.from('binary/encrypted'))).toBe(true);
    for (const secret of [YANDEX_TOKEN, driveRefresh, world.vk.validToken]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/vk-backups', '/vk-backups/{id}']));
  });
});
