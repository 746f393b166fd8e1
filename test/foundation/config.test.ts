import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireVars } from '../../lib/config';

const key = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const cfg = loadConfig({ FERRY_ENCRYPTION_KEY: key });
    expect(cfg.TEMPORAL_ADDRESS).toBe('localhost:7233');
    expect(cfg.TEMPORAL_NAMESPACE).toBe('default');
    expect(cfg.TEMPORAL_TASK_QUEUE).toBe('ferry');
    expect(cfg.PORT).toBe(3000);
    expect(cfg.GOOGLE_API_URL).toBe('https://www.googleapis.com');
    expect(cfg.YANDEX_DISK_API_URL).toBe('https://cloud-api.yandex.net/v1/disk');
    expect(cfg.VK_API_URL).toBe('https://api.vk.com/method');
    expect(cfg.LOG_DIR).toBe('./logs');
  });

  it('lists every invalid variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', GOOGLE_API_URL: 'not a url', FERRY_ENCRYPTION_KEY: 'c2hvcnQ=', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'GOOGLE_API_URL', 'FERRY_ENCRYPTION_KEY', 'LOG_LEVEL']) expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('requires a key in production and both halves of a TLS pair', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TEMPORAL_TLS_CERT: 'x' })).toThrow(
      /FERRY_ENCRYPTION_KEY[\s\S]*TEMPORAL_TLS_CERT\/TEMPORAL_TLS_KEY/,
    );
  });

  it('names missing feature variables', () => {
    const cfg = loadConfig({ FERRY_ENCRYPTION_KEY: key });
    expect(() => requireVars(cfg, ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'], 'Google OAuth')).toThrow(
      /GOOGLE_CLIENT_ID: required for Google OAuth[\s\S]*GOOGLE_CLIENT_SECRET/,
    );
  });
});
