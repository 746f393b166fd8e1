// The operators' routes behind FERRY_API_TOKEN, over real HTTP from loopback (the address a mesh sidecar
// or a local proxy would give every caller): 401 without one of the tokens, the job routes' own answers
// with one, the public routes open as before, the local-only rule without a token, production refusing
// to start without it, and the OpenAPI document saying which is which.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { isLocalCaller, matchesAnyToken, requireOperatorToken } from '../../api/auth';
import { HttpError } from '../../api/errors';
import { ConfigError } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createLazyClient } from '../../lib/temporal';
import { testConfig } from '../helpers/config';

const TOKENS = ['op-token-one-5f1c2e9a', 'op-token-two-83d0b7c4'];
const CODEC_TOKEN = 'c'.repeat(32);

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

type Call = (
  path: string,
  init?: { method?: string; headers?: Record<string, string>; body?: unknown },
) => Promise<Response>;

async function serve(overrides: Record<string, string> = {}): Promise<Call> {
  const config = testConfig(overrides);
  const temporal = createLazyClient(config);
  const app = createApp({ config, temporal, logger: createLogger({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  cleanups.push(
    () => new Promise((r) => server.close(r)),
    () => temporal.connection.close(),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return (path, init = {}) =>
    fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...init.headers },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const etlRunId = () => `etl-run-${randomUUID()}`;

// Each request leaves no workflow or schedule behind: bodies are invalid (400) or ids unknown (404).
const JOB_REQUESTS = [
  ['POST', '/vk-backups', { user: '' }, 400],
  ['GET', '/vk-backups/vk-backup-nope', undefined, 404],
  ['POST', '/etl-runs', { start: 'not-a-day' }, 400],
  ['GET', `/etl-runs/${etlRunId()}`, undefined, 404],
  ['POST', '/ok-backups', { user: '' }, 400],
  ['GET', '/ok-backups/ok-backup-nope', undefined, 404],
  ['GET', '/backup-schedules', undefined, 200],
  ['GET', '/backup-schedules/vk-schedule-nope', undefined, 404],
  ['POST', '/backup-schedules/vk-schedule-nope/pause', undefined, 404],
  ['POST', '/backup-schedules/ok-schedule-nope/resume', undefined, 404],
  ['DELETE', '/backup-schedules/ok-schedule-nope', undefined, 404],
] as const;

describe('FERRY_API_TOKEN set', () => {
  let call: Call;
  beforeAll(async () => {
    call = await serve({ FERRY_API_TOKEN: TOKENS.join(', ') });
  });

  it.each(JOB_REQUESTS)(
    '%s %s answers 401 with the JSON error body without a token, even from loopback',
    async (method, path, body) => {
      const res = await call(path, { method, body });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="ferry"');
      expect(await res.json()).toEqual({
        error: { code: 'unauthorized', message: expect.stringContaining('Bearer'), details: null },
      });
    },
  );

  it('refuses a wrong token, another scheme, a token prefix and a proxy header claiming loopback', async () => {
    for (const authorization of [
      'Bearer wrong-token',
      `Basic ${Buffer.from(`x:${TOKENS[0]}`).toString('base64')}`,
      `Bearer ${TOKENS[0]!.slice(0, -1)}`,
      `Bearer ${TOKENS[0]}x`,
      TOKENS[0]!,
      'Bearer',
    ]) {
      const res = await call('/vk-backups', { method: 'POST', headers: { authorization }, body: { user: '' } });
      expect(res.status, authorization).toBe(401);
    }
    const wrong = await call('/etl-runs', { method: 'POST', headers: bearer('nope'), body: {} });
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const spoofed = await call('/etl-runs', { method: 'POST', headers: { 'x-forwarded-for': '127.0.0.1' }, body: {} });
    expect(spoofed.status).toBe(401);
  });

  it.each(TOKENS)('lets the route answer for token %s (each token of the list works)', async (token) => {
    for (const [method, path, body, expected] of JOB_REQUESTS) {
      const res = await call(path, { method, body, headers: bearer(token) });
      expect(res.status, `${method} ${path}`).toBe(expected);
    }
    // The scheme is case-insensitive (RFC 6750 via RFC 7235).
    const lower = await call('/vk-backups/vk-backup-nope', { headers: { authorization: `bearer ${token}` } });
    expect(lower.status).toBe(404);
  });

  it('answers 401 for an unknown path without a token, 404 with one (the routes cannot be probed)', async () => {
    expect((await call('/no-such-route')).status).toBe(401);
    expect((await call('/no-such-route', { headers: bearer(TOKENS[1]!) })).status).toBe(404);
  });

  it('keeps the public routes public', async () => {
    expect((await call('/healthz')).status).toBe(200);
    expect([200, 503]).toContain((await call('/readyz')).status);
    expect((await call('/openapi.json')).status).toBe(200);
    expect((await call('/docs/')).status).toBe(200);
    const archive = await call('/cloud_archive', { method: 'POST', body: {} });
    expect(archive.status).toBe(400);
    expect(((await archive.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    expect((await call('/cloud_archive/no-such-request')).status).toBe(404);
    expect((await call('/oauth/google/callback?state=x&code=y')).status).toBe(400);
  });

  it('documents the bearer scheme on every operator route and on no public one', async () => {
    const doc = (await (await call('/openapi.json')).json()) as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.components.securitySchemes.FerryApiToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operator = [{ FerryApiToken: [] }];
    for (const [path, method] of [
      ['/vk-backups', 'post'],
      ['/vk-backups/{id}', 'get'],
      ['/etl-runs', 'post'],
      ['/etl-runs/{id}', 'get'],
      ['/ok-backups', 'post'],
      ['/ok-backups/{id}', 'get'],
      ['/backup-schedules', 'get'],
      ['/backup-schedules/{id}', 'get'],
      ['/backup-schedules/{id}', 'delete'],
      ['/backup-schedules/{id}/pause', 'post'],
      ['/backup-schedules/{id}/resume', 'post'],
    ] as const) {
      expect(doc.paths[path]![method]!.security, `${method} ${path}`).toEqual(operator);
      expect(doc.paths[path]![method]!.responses['401'], `${method} ${path}`).toBeDefined();
    }
    const publicPaths = ['/healthz', '/readyz', '/cloud_archive', '/cloud_archive/{id}', '/oauth/google/callback'];
    for (const path of publicPaths) {
      for (const op of Object.values(doc.paths[path]!)) expect(op.security, path).toEqual([]);
    }
    expect(doc.paths['/codec/decode']!.post!.security).toEqual([{ CodecToken: [] }]);
    expect(doc.paths['/metrics'], 'served on API_METRICS_PORT, not here').toBeUndefined();
  });
});

describe('FERRY_API_TOKEN unset (development)', () => {
  let call: Call;
  beforeAll(async () => {
    call = await serve();
  });

  it('serves callers on this machine', async () => {
    const res = await call('/vk-backups', { method: 'POST', body: { user: '' } });
    expect(res.status).toBe(400);
  });

  it('refuses a request that came through a proxy, whatever address the proxy header claims', async () => {
    const proxied: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-forwarded-for': '127.0.0.1' },
      { forwarded: 'for=127.0.0.1' },
      { 'x-real-ip': '127.0.0.1' },
    ];
    for (const headers of proxied) {
      const res = await call('/etl-runs', { method: 'POST', headers, body: {} });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.json()).toMatchObject({
        error: { code: 'forbidden', message: expect.stringContaining('FERRY_API_TOKEN') },
      });
    }
  });

  it('refuses a caller on another address (decided on the socket, not on req.ip)', () => {
    const fakeRequest = (remoteAddress: string, headers: Record<string, string> = {}) =>
      ({ socket: { remoteAddress }, headers, ip: '127.0.0.1' }) as unknown as Request;
    for (const address of ['::1', '127.0.0.1', '::ffff:127.0.0.1'])
      expect(isLocalCaller(fakeRequest(address))).toBe(true);
    for (const address of ['10.0.0.7', '203.0.113.9', '::ffff:10.0.0.7', 'fe80::1', '']) {
      expect(isLocalCaller(fakeRequest(address)), address).toBe(false);
      let passed: unknown = 'not called';
      requireOperatorToken({ NODE_ENV: 'development', FERRY_API_TOKEN: undefined })(
        fakeRequest(address),
        { setHeader: () => undefined } as never,
        (err?: unknown) => (passed = err),
      );
      expect(passed, address).toBeInstanceOf(HttpError);
      expect((passed as HttpError).status).toBe(403);
    }
  });
});

describe('production', () => {
  it('refuses to build the API without FERRY_API_TOKEN, naming it (and a short codec token)', () => {
    const temporal = createLazyClient(testConfig());
    cleanups.push(() => temporal.connection.close());
    const build = (overrides: Record<string, string>) => () =>
      createApp({
        config: testConfig({ NODE_ENV: 'production', ...overrides }),
        temporal,
        logger: createLogger({ level: 'silent' }),
      });
    expect(build({ FERRY_CODEC_TOKEN: CODEC_TOKEN })).toThrow(ConfigError);
    expect(build({ FERRY_CODEC_TOKEN: CODEC_TOKEN })).toThrow(/FERRY_API_TOKEN: required in production/);
    expect(build({ FERRY_API_TOKEN: TOKENS[0]!, FERRY_CODEC_TOKEN: 'short' })).toThrow(/FERRY_CODEC_TOKEN/);
    expect(build({ FERRY_API_TOKEN: TOKENS[0]!, FERRY_CODEC_TOKEN: CODEC_TOKEN })).not.toThrow();
  });

  it('does not trust loopback callers', async () => {
    const prod = await serve({ NODE_ENV: 'production', FERRY_API_TOKEN: TOKENS[0]!, FERRY_CODEC_TOKEN: CODEC_TOKEN });
    expect((await prod('/etl-runs', { method: 'POST', body: {} })).status).toBe(401);
    expect((await prod(`/etl-runs/${etlRunId()}`, { headers: bearer(TOKENS[0]!) })).status).toBe(404);
    // Belt and braces: even if the start check were bypassed, production never serves without a token.
    let passed: unknown;
    requireOperatorToken({ NODE_ENV: 'production', FERRY_API_TOKEN: undefined })(
      { socket: { remoteAddress: '127.0.0.1' }, headers: {} } as unknown as Request,
      { setHeader: () => undefined } as never,
      (err?: unknown) => (passed = err),
    );
    expect((passed as HttpError).status).toBe(403);
  });
});

describe('token comparison', () => {
  it('matches exactly one of the tokens, nothing shorter, longer or empty', () => {
    for (const t of TOKENS) expect(matchesAnyToken(t, TOKENS)).toBe(true);
    for (const t of ['', TOKENS[0]!.slice(1), `${TOKENS[1]}0`, TOKENS.join(','), TOKENS[0]!.toUpperCase()]) {
      expect(matchesAnyToken(t, TOKENS), t).toBe(false);
    }
    expect(matchesAnyToken('', [])).toBe(false);
  });

  it('reads the comma-separated list and refuses a list without a token', () => {
    expect(testConfig({ FERRY_API_TOKEN: ` ${TOKENS[0]} ,${TOKENS[1]},` }).FERRY_API_TOKEN).toEqual(TOKENS);
    expect(() => testConfig({ FERRY_API_TOKEN: ' , ' })).toThrow(/FERRY_API_TOKEN: must hold at least one token/);
    expect(() => testConfig({ FERRY_API_TOKEN: 'has space' })).toThrow(/FERRY_API_TOKEN/);
  });
});
