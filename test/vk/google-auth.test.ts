// The CLI's Google OAuth client: from a client_secrets.json (installed or web), else from the env.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oauthClientInfo, tokenFile } from '../../cli/google-auth';
import { testConfig } from '../helpers/config';

const secretsFile = (json: unknown) => {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-secrets-')), 'client_secrets.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
};

describe('Google OAuth client for the CLI', () => {
  it('reads client_secrets.json as Google Cloud downloads it', () => {
    const file = secretsFile({ installed: { client_id: 'abc.apps.googleusercontent.com', client_secret: 's3' } });
    expect(oauthClientInfo(testConfig(), file)).toEqual({
      clientId: 'abc.apps.googleusercontent.com',
      clientSecret: 's3',
    });
    expect(oauthClientInfo(testConfig(), secretsFile({ web: { client_id: 'w', client_secret: 'x' } })).clientId).toBe(
      'w',
    );
  });

  it('falls back to GOOGLE_CLIENT_ID/SECRET and says what is missing', () => {
    const env = testConfig({ GOOGLE_CLIENT_ID: 'env-id', GOOGLE_CLIENT_SECRET: 'env-secret' });
    expect(oauthClientInfo(env)).toEqual({ clientId: 'env-id', clientSecret: 'env-secret' });
    expect(() => oauthClientInfo(testConfig())).toThrow(
      /GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or --client-secrets/,
    );
    expect(() => oauthClientInfo(testConfig(), secretsFile({ other: {} }))).toThrow(/no installed.client_id/);
    expect(() => oauthClientInfo(testConfig(), '/nonexistent/client_secrets.json')).toThrow(/cannot read/);
  });

  it('keeps the token under XDG_CONFIG_HOME/ferry', () => {
    expect(tokenFile({ XDG_CONFIG_HOME: '/x/cfg' })).toBe('/x/cfg/ferry/google-drive.json');
  });
});
