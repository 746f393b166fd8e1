// The codec endpoint cannot be opened to every web site: `*` (or any wildcard) in FERRY_CODEC_CORS_ORIGINS
// stops the start, production needs a FERRY_CODEC_TOKEN of at least 32 bytes and never trusts loopback
// without it (a mesh sidecar makes every caller loopback), /codec/login is rate-limited, and the codec
// takes only application/json (what keeps its SameSite=None session cookie harmless).
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { errorHandler } from '../../api/errors';
import { codecRoutes } from '../../api/routes/codec';
import { apiConfigProblems, ConfigError, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createLazyClient } from '../../lib/temporal';
import { testConfig } from '../helpers/config';

const logger = createLogger({ level: 'silent' });
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serveApp(overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  const temporal = createLazyClient(config);
  cleanups.push(() => temporal.connection.close());
  return listen(createApp({ config, temporal, logger }));
}

/** The codec routes alone, for a config the start check would refuse (to test the route's own rule). */
async function serveCodecOnly(config: Config) {
  const app = express();
  app.use(express.json());
  app.use(codecRoutes({ config, logger } as ApiDeps));
  app.use(errorHandler(logger));
  return listen(app);
}

const codecBody = JSON.stringify({ payloads: [{ metadata: {}, data: Buffer.from('"x"').toString('base64') }] });
const encode = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/codec/encode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: codecBody,
  });

describe('FERRY_CODEC_CORS_ORIGINS', () => {
  it.each(['*', 'https://temporal.example.com,*', 'https://*.example.com', 'null', ' * '])(
    'refuses %j at start, naming the variable',
    (origins) => {
      let error: unknown;
      try {
        testConfig({ FERRY_CODEC_CORS_ORIGINS: origins });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/FERRY_CODEC_CORS_ORIGINS: .*not allowed/);
    },
  );

  it('refuses what is not an origin, and accepts exact origins', () => {
    for (const bad of ['https://temporal.example.com/ui', 'temporal.example.com', 'ftp://x.example.com']) {
      expect(() => testConfig({ FERRY_CODEC_CORS_ORIGINS: bad }), bad).toThrow(/FERRY_CODEC_CORS_ORIGINS/);
    }
    const ok = 'http://localhost:8080, https://temporal.example.com';
    expect(testConfig({ FERRY_CODEC_CORS_ORIGINS: ok }).FERRY_CODEC_CORS_ORIGINS).toBe(ok);
  });

  it('allows only the listed origins to read codec answers', async () => {
    const base = await serveApp({ FERRY_CODEC_TOKEN: 'dev-codec', FERRY_CODEC_CORS_ORIGINS: 'http://localhost:8080' });
    const auth = { authorization: 'Bearer dev-codec' };
    const listed = await encode(base, { ...auth, origin: 'http://localhost:8080' });
    expect(listed.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
    const other = await encode(base, { ...auth, origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('FERRY_CODEC_TOKEN in production', () => {
  const prod = (token?: string) =>
    apiConfigProblems(testConfig({ NODE_ENV: 'production', FERRY_API_TOKEN: 'op', FERRY_CODEC_TOKEN: token }));

  it('is required, and at least 32 bytes', () => {
    expect(prod()).toEqual([expect.stringMatching(/^FERRY_CODEC_TOKEN: required in production, at least 32 bytes/)]);
    expect(prod('x'.repeat(31))).toHaveLength(1);
    expect(prod('x'.repeat(32))).toEqual([]);
    expect(prod('é'.repeat(16))).toEqual([]); // bytes, not characters
    expect(apiConfigProblems(testConfig({ FERRY_CODEC_TOKEN: 'short' }))).toEqual([]); // development: any
  });

  it('the route does not trust a loopback caller without the token in production', async () => {
    const dev = await serveCodecOnly(testConfig());
    expect((await encode(dev)).status).toBe(200);
    const production = await serveCodecOnly({ ...testConfig(), NODE_ENV: 'production' });
    const res = await encode(production);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('/codec/login', () => {
  it('is rate-limited: wrong tokens count, right ones do not, then 429 as JSON', async () => {
    const base = await serveApp({ FERRY_CODEC_TOKEN: 'codec-secret' });
    const login = (token: string) =>
      fetch(`${base}/codec/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
    for (let i = 0; i < 3; i++) expect((await login('codec-secret')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await login(`guess-${i}`)).status, `guess ${i}`).toBe(401);
    const limited = await login('guess-10');
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(limited.headers.get('ratelimit-policy')).toContain('10');
    expect((await login('codec-secret')).status).toBe(429); // the address is locked out for the window
  });
});

describe('codec content type', () => {
  it('answers 415 to anything but application/json (a cross-site form cannot use the session cookie)', async () => {
    const base = await serveApp({ FERRY_CODEC_TOKEN: 'codec-secret' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(`${base}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: 'Bearer codec-secret' },
        body: codecBody,
      });
      expect(res.status, type).toBe(415);
    }
    expect((await encode(base, { authorization: 'Bearer codec-secret' })).status).toBe(200);
  });
});
