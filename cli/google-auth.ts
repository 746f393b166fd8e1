// Google Drive for the CLI: the installed-app OAuth flow on a loopback redirect (PKCE, as Google asks
// of desktop apps), and the refresh token kept in the user's config dir (0600) so it is asked once.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import type { Config } from '../lib/config';
import type { DestinationCredentials } from '../lib/jobs/copy-to-cloud';
import { configDir } from './token-store';

const SCOPE = 'https://www.googleapis.com/auth/drive.file';
const CONSENT_TIMEOUT_MS = 5 * 60_000;

interface OAuthClientInfo {
  clientId: string;
  clientSecret: string;
}

interface StoredToken {
  client_id: string;
  refresh_token: string;
  scope: string;
  saved_at: string;
}

export { configDir };
export const tokenFile = (env = process.env) => join(configDir(env), 'google-drive.json');

/** The OAuth client: a client_secrets.json (installed or web) when given, else GOOGLE_CLIENT_ID/SECRET. */
export function oauthClientInfo(config: Config, clientSecretsPath?: string): OAuthClientInfo {
  if (clientSecretsPath) {
    let json: { installed?: Record<string, string>; web?: Record<string, string> };
    try {
      json = JSON.parse(readFileSync(clientSecretsPath, 'utf8')) as typeof json;
    } catch (err) {
      throw new Error(`cannot read --client-secrets ${clientSecretsPath}: ${(err as Error).message}`, { cause: err });
    }
    const c = json.installed ?? json.web;
    if (!c?.client_id || !c.client_secret) {
      throw new Error(`${clientSecretsPath} has no installed.client_id/client_secret (download it from Google Cloud)`);
    }
    return { clientId: c.client_id, clientSecret: c.client_secret };
  }
  if (!config.GOOGLE_CLIENT_ID || !config.GOOGLE_CLIENT_SECRET) {
    throw new Error('Google Drive needs GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or --client-secrets PATH');
  }
  return { clientId: config.GOOGLE_CLIENT_ID, clientSecret: config.GOOGLE_CLIENT_SECRET };
}

function readStored(clientId: string): string | undefined {
  const file = tokenFile();
  if (!existsSync(file)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredToken;
    return stored.client_id === clientId ? stored.refresh_token : undefined;
  } catch {
    return undefined;
  }
}

function store(clientId: string, refreshToken: string): string {
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  const file = tokenFile();
  const body: StoredToken = {
    client_id: clientId,
    refresh_token: refreshToken,
    scope: SCOPE,
    saved_at: new Date().toISOString(),
  };
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode on write
  return file;
}

/** Runs the consent flow: prints the URL, waits for Google to redirect to our loopback server. */
async function consent(config: Config, client: OAuthClientInfo, say: (line: string) => void): Promise<string> {
  const state = randomBytes(16).toString('hex');
  let settle!: { resolve: (code: string) => void; reject: (err: Error) => void };
  const codePromise = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    const ok = !error && code && url.searchParams.get('state') === state;
    res
      .writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' })
      .end(ok ? 'Ferry may now use your Google Drive. You can close this tab.' : 'Authorization failed.');
    if (error) settle.reject(new Error(`Google authorization refused: ${error}`));
    else if (ok) settle.resolve(code);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const oauth = new OAuth2Client({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri,
    endpoints: { oauth2AuthBaseUrl: config.GOOGLE_AUTH_URL, oauth2TokenUrl: config.GOOGLE_TOKEN_URL },
  });
  const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
  const authUrl = oauth.generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    scope: [SCOPE],
    state,
    code_challenge: codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
  });
  say(`Open this address in your browser to let Ferry write to your Google Drive:\n  ${authUrl}`);
  const timer = setTimeout(
    () => settle.reject(new Error('Google authorization timed out (5 minutes)')),
    CONSENT_TIMEOUT_MS,
  );
  try {
    const code = await codePromise;
    const { tokens } = await oauth.getToken({ code, codeVerifier, redirect_uri: redirectUri });
    if (!tokens.refresh_token) throw new Error('Google returned no refresh token; run again to re-consent');
    return tokens.refresh_token;
  } finally {
    clearTimeout(timer);
    server.close();
  }
}

/** Drive credentials for the backup: the stored refresh token, or a new consent when there is none. */
export async function googleDriveCredentials(
  config: Config,
  options: { clientSecretsPath?: string; say: (line: string) => void },
): Promise<DestinationCredentials> {
  const client = oauthClientInfo(config, options.clientSecretsPath);
  let refreshToken = readStored(client.clientId);
  if (!refreshToken) {
    refreshToken = await consent(config, client, options.say);
    options.say(`Google Drive authorized; the refresh token is kept in ${store(client.clientId, refreshToken)} (0600)`);
  }
  return { cloud: 'google_drive', refreshToken, clientId: client.clientId, clientSecret: client.clientSecret };
}

/** `ferry login google`: a new consent whatever is stored (another account, a revoked token); the file. */
export async function googleLogin(
  config: Config,
  options: { clientSecretsPath?: string; say: (line: string) => void },
): Promise<string> {
  const client = oauthClientInfo(config, options.clientSecretsPath);
  return store(client.clientId, await consent(config, client, options.say));
}

/** What `ferry login --status` shows of the Drive token: never the token itself. */
export function storedGoogleToken(env = process.env): { clientId: string; savedAt?: Date; file: string } | undefined {
  const file = tokenFile(env);
  if (!existsSync(file)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredToken>;
    if (!stored.refresh_token || !stored.client_id) return undefined;
    const savedAt = stored.saved_at ? new Date(stored.saved_at) : undefined;
    return { clientId: stored.client_id, ...(savedAt && !Number.isNaN(savedAt.getTime()) && { savedAt }), file };
  } catch {
    return undefined;
  }
}
