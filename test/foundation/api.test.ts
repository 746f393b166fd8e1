// The API skeleton over real HTTP: /readyz follows Temporal coming up, the codec endpoint, errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { createApp } from '../../api/app';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { freePort } from '../../dev/ports';
import { createLazyClient } from '../../lib/temporal';
import { testConfig } from '../helpers/config';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function serve(overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  const temporal = createLazyClient(config);
  const pool = createPool(config.DATABASE_URL!);
  const app = createApp({ config, temporal, pool, logger: createLogger({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  cleanups.push(
    () => new Promise((r) => server.close(r)),
    () => pool.end(),
    () => temporal.connection.close(),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('API skeleton', () => {
  it('/readyz goes from not ready to ready as a Temporal server comes up', async () => {
    const port = await freePort();
    const base = await serve({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const before = await fetch(`${base}/readyz`);
    expect(before.status).toBe(503);
    const body = (await before.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.temporal!.ok).toBe(false);
    expect(body.checks.database!.ok).toBe(true);

    const server: ChildProcess = spawn(
      inject('temporalCliPath'),
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--db-filename',
        join(mkdtempSync(join(tmpdir(), 'ferry-readyz-')), 'db.sqlite'),
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(() => server.kill('SIGTERM'));
    const ready = await waitFor(async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 200 ? r : undefined;
    }, 60_000);
    expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
  });

  it('answers errors as JSON and limits body size', async () => {
    const base = await serve({ API_BODY_LIMIT: '1kb' });
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const big = await fetch(`${base}/codec/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [{ data: 'x'.repeat(5000) }] }),
    });
    expect(big.status).toBe(413);
    const bad = await fetch(`${base}/codec/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
  });

  it('serves the codec endpoint behind a bearer token, with CORS for the Web UI', async () => {
    const base = await serve({ FERRY_CODEC_TOKEN: 'codec-secret' });
    const plain = defaultPayloadConverter.toPayload({ token: 'abc' });
    const body = JSON.stringify({
      payloads: [
        {
          metadata: { encoding: Buffer.from(plain.metadata!.encoding!).toString('base64') },
          data: Buffer.from(plain.data!).toString('base64'),
        },
      ],
    });
    const headers = { 'content-type': 'application/json', origin: 'http://localhost:8233' };
    expect((await fetch(`${base}/codec/encode`, { method: 'POST', headers, body })).status).toBe(401);
    const auth = { ...headers, authorization: 'Bearer codec-secret' };
    const enc = await fetch(`${base}/codec/encode`, { method: 'POST', headers: auth, body });
    expect(enc.status).toBe(200);
    expect(enc.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const encoded = await enc.text();
    expect(encoded).not.toContain(Buffer.from(plain.data!).toString('base64'));
    const dec = await fetch(`${base}/codec/decode`, { method: 'POST', headers: auth, body: encoded });
    expect(JSON.parse(await dec.text())).toEqual(JSON.parse(body));
    const preflight = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233' },
    });
    expect(preflight.status).toBe(204);
  });

  it('lets a browser sign in for the Web UI with the codec token, via a signed session cookie', async () => {
    const base = await serve({ FERRY_CODEC_TOKEN: 'codec-secret' });
    const form = (token: string) =>
      fetch(`${base}/codec/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
    expect((await form('wrong')).status).toBe(401);
    const ok = await form('codec-secret');
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly; Secure; SameSite=None/);
    expect(setCookie).not.toContain('codec-secret');
    const cookie = setCookie.split(';')[0]!;
    const body = JSON.stringify({ payloads: [{ metadata: {}, data: Buffer.from('"x"').toString('base64') }] });
    const call = (c: string) =>
      fetch(`${base}/codec/encode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: c },
        body,
      });
    expect((await call(cookie)).status).toBe(200);
    const [name, value] = cookie.split('=');
    const [expires, mac] = value!.split('.');
    expect((await call(`${name}=${Number(expires) + 3600}.${mac}`)).status).toBe(401); // extended expiry: bad MAC
    expect((await call(`${name}=1.${mac}`)).status).toBe(401); // expired
  });

  it('publishes an OpenAPI 3.1 document', async () => {
    const base = await serve();
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/codec/decode']));
  });
});
