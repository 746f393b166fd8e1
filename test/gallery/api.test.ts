// POST /cloud_archive over real HTTP: validation (400 naming each field, 413), the allowlists (SSRF and
// open-redirect attempts never reach their target), the consent URL (PKCE S256, signed state), rate
// limiting, security headers and the OpenAPI document.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createGalleryActivities } from '../../activities/gallery';
import { createApp } from '../../api/app';
import { REDACT_PATHS } from '../../lib/logger';
import { withWorker } from '../helpers/temporal';
import { body, onCleanup, post, startStack, status, type Stack } from './harness';

let stack: Stack;
let sentinel: { url: string; hits: number };

beforeAll(async () => {
  stack = await startStack();
  // A server standing for every forbidden target: no test may make a request reach it.
  const s = { url: '', hits: 0 };
  const server = createServer((_req, res) => {
    s.hits += 1;
    res.end('secret');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sentinel = s;
  onCleanup(() => new Promise((r) => server.close(r)));
});

async function rejected(payload: unknown) {
  const res = await post(stack, payload);
  const json = (await res.json()) as { error: { code: string; details: Array<{ field: string; message: string }> } };
  return { status: res.status, json, fields: (json.error.details ?? []).map((d) => d.field) };
}

describe('POST /cloud_archive validation', () => {
  it('names every missing or invalid field', async () => {
    const r = await rejected({ gallery_name: '', archive_type: 'zip', cloud_type: 'dropbox' });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(r.fields).toEqual(
      expect.arrayContaining([
        'redirect_success_link',
        'redirect_fail_link',
        'archive_url',
        'gallery_name',
        'archive_type',
        'cloud_type',
      ]),
    );
  });

  it('answers 400 to malformed JSON and a non-object body, 413 to a huge one', async () => {
    expect((await post(stack, '{"archive_url":')).status).toBe(400);
    expect((await rejected([1, 2, 3])).status).toBe(400);
    const huge = await post(stack, body({ gallery_name: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect((await rejected(body({ gallery_name: 'x'.repeat(300) }))).fields).toEqual(['gallery_name']);
  });

  it('refuses archive URLs outside GALLERY_ALLOWED_HOSTS (SSRF) without touching them', async () => {
    const port = new URL(sentinel.url).port;
    for (const archive_url of [
      'https://evil.example.com/g/api/stream/1/abc?mod=web',
      `http://127.0.0.1:${port}/g/api/stream/1/abc`,
      'https://127.0.0.1/g/api/stream/1/abc',
      'https://169.254.169.254/latest/meta-data/',
      `http://[::1]:${port}/g/api/stream/1/abc`,
      'https://2130706433/g/api/stream/1/abc',
      'https://user:pass@arch.gallery.test/g/api/stream/1/abc',
      'file:///etc/passwd',
      'not a url',
    ]) {
      const r = await rejected(body({ archive_url }));
      expect(r.status, archive_url).toBe(400);
      expect(r.fields, archive_url).toEqual(['archive_url']);
    }
    expect(sentinel.hits).toBe(0);
  });

  it('refuses redirect links off REDIRECT_ALLOWED_HOSTS (no open redirect)', async () => {
    for (const link of [
      'https://evil.example.com/phish',
      'https://front.gallery.test.evil.example.com/',
      'https://front.gallery.test@evil.example.com/',
      '//evil.example.com/',
      'javascript:alert(1)',
      `${sentinel.url}/`,
    ]) {
      const a = await rejected(body({ redirect_success_link: link }));
      expect(a.fields, link).toEqual(['redirect_success_link']);
      const b = await rejected(body({ redirect_fail_link: link }));
      expect(b.fields, link).toEqual(['redirect_fail_link']);
    }
    expect(sentinel.hits).toBe(0);
  });
});

describe('POST /cloud_archive consent URL', () => {
  it('sends the user to Google with PKCE S256, offline access, forced consent and drive.file', async () => {
    const res = await post(stack, body());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const json = (await res.json()) as { redirect_to: string; id: string };
    const url = new URL(json.redirect_to);
    expect(`${url.origin}${url.pathname}`).toBe(stack.google.authUrl);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: stack.google.clientId,
      redirect_uri: `${stack.config.FERRY_PUBLIC_URL}/oauth/google/callback`,
      access_type: 'offline',
      prompt: 'consent',
      scope: 'https://www.googleapis.com/auth/drive.file',
      code_challenge_method: 'S256',
    });
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(q.state!.startsWith(`${json.id}.`)).toBe(true);
    expect(json.redirect_to).not.toContain(stack.google.clientSecret);
    const s = await withWorker(
      { activities: createGalleryActivities(stack), taskQueue: stack.taskQueue, config: stack.config },
      () => status(stack, json.id),
    );
    expect(s).toMatchObject({ id: json.id, state: 'awaiting_authorization', cloud_type: 'google_drive' });
    expect(JSON.stringify(s)).not.toMatch(/code_?verifier/i);
  });

  it('sends the user to Yandex with force_confirm and PKCE; every request gets its own state', async () => {
    const a = (await (await post(stack, body({ cloud_type: 'yadisk' }))).json()) as { redirect_to: string };
    const b = (await (await post(stack, body({ cloud_type: 'yadisk' }))).json()) as { redirect_to: string };
    const ua = new URL(a.redirect_to);
    expect(`${ua.origin}${ua.pathname}`).toBe(`${stack.yandex.url}/authorize`);
    expect(Object.fromEntries(ua.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: stack.yandex.clientId,
      force_confirm: 'yes',
      code_challenge_method: 'S256',
      redirect_uri: `${stack.config.FERRY_PUBLIC_URL}/oauth/yandex/callback`,
    });
    expect(ua.searchParams.get('state')).not.toBe(new URL(b.redirect_to).searchParams.get('state'));
    expect(a.redirect_to).not.toContain(stack.yandex.clientSecret);
  });

  it('answers 404 for an unknown or malformed request id', async () => {
    expect((await fetch(`${stack.api}/cloud_archive/AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${stack.api}/cloud_archive/..%2F..%2Fetc`)).status).toBe(404);
  });

  it('rate-limits POST /cloud_archive per client IP', async () => {
    const limited = await startStack({ CLOUD_ARCHIVE_RATE_LIMIT_PER_MINUTE: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await post(limited, body({ cloud_type: 'dropbox' }))).status);
    expect(codes).toEqual([400, 400, 400, 429]);
    const res = await post(limited, body());
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it('documents every cloud_archive route in /openapi.json', async () => {
    const doc = (await (await fetch(`${stack.api}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/cloud_archive',
        '/cloud_archive/{id}',
        '/oauth/google/callback',
        '/oauth/yandex/callback',
      ]),
    );
  });

  it('describes the done call it makes to the platform, with the fields that name the gallery', async () => {
    const doc = (await (await fetch(`${stack.api}/openapi.json`)).json()) as {
      webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
      components: { schemas: Record<string, { required: string[]; properties: Record<string, unknown> }> };
    };
    const ref = doc.webhooks['/cloud_archive/done']!.post.requestBody.content['application/json']!.schema.$ref;
    const schema = doc.components.schemas[ref.split('/').pop()!]!;
    expect(schema.required.sort()).toEqual(
      ['archive_type', 'archive_url', 'cloud_type', 'failed_photos', 'gallery_name', 'id'].sort(),
    );
  });

  it('keeps the OAuth code and state out of the request log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info', redact: REDACT_PATHS }, { write: (l: string) => void lines.push(l) });
    const app = createApp({ config: stack.config, temporal: stack.temporal, pool: stack.pool, logger });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    onCleanup(() => new Promise((r) => server.close(r)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/oauth/google/callback?code=4%2F0secret-code-xyz&state=abc.def&scope=drive`);
    expect(res.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    const log = lines.join('\n');
    expect(log).toContain('/oauth/google/callback');
    expect(log).toContain('scope=drive');
    expect(log).not.toContain('secret-code-xyz');
    expect(log).not.toContain('abc.def');
    expect(log).toContain('redacted');
  });
});
