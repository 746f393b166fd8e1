// The tokens `ferry login` gets, kept for the next runs: one JSON file per network under
// $XDG_CONFIG_HOME/ferry/ (default ~/.config/ferry/), the directory 0700 and the file 0600, as the Google
// refresh token is kept (cli/google-auth.ts). Plain files like gh's or rclone's config: the token must be
// usable without a passphrase, and a key stored beside it would protect nothing the file mode does not.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type TokenNetwork = 'vk' | 'ok' | 'yandex';

export const NETWORK_NAMES: Record<TokenNetwork, string> = { vk: 'VK', ok: 'OK', yandex: 'Yandex Disk' };

export interface TokenRecord {
  accessToken: string;
  /** When the provider said it stops working; undefined = no expiry given (offline rights, a pasted token). */
  expiresAt?: Date;
  /** The account the token acts for, as the provider's API answered when the token was checked. */
  userId?: string;
  userName?: string;
  /** Yandex: lets the Disk client get a new access token when the old one is refused. */
  refreshToken?: string;
  /** The app (client id) the token was issued to. */
  clientId?: string;
}

export interface StoredToken extends TokenRecord {
  network: TokenNetwork;
  savedAt: Date;
  file: string;
}

interface TokenFile {
  network: TokenNetwork;
  access_token: string;
  expires_at: string | null;
  user_id?: string;
  user_name?: string;
  refresh_token?: string;
  client_id?: string;
  saved_at: string;
}

const FILE_NAMES: Record<TokenNetwork, string> = { vk: 'vk.json', ok: 'ok.json', yandex: 'yandex-disk.json' };

export const configDir = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ferry');

export const tokenPath = (network: TokenNetwork, env: NodeJS.ProcessEnv = process.env) =>
  join(configDir(env), FILE_NAMES[network]);

/** Writes the token (replacing the network's previous one) and returns the file's path. */
export function saveToken(network: TokenNetwork, token: TokenRecord, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // an existing directory keeps its mode otherwise
  const body: TokenFile = {
    network,
    access_token: token.accessToken,
    expires_at: token.expiresAt ? token.expiresAt.toISOString() : null,
    ...(token.userId !== undefined && { user_id: token.userId }),
    ...(token.userName !== undefined && { user_name: token.userName }),
    ...(token.refreshToken !== undefined && { refresh_token: token.refreshToken }),
    ...(token.clientId !== undefined && { client_id: token.clientId }),
    saved_at: new Date().toISOString(),
  };
  const file = tokenPath(network, env);
  // Written beside and renamed over: a crash never leaves half a token file, and the new file is 0600
  // from its first byte (an existing file would keep its old mode on a plain write).
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return file;
}

/** The network's stored token, expired or not (see isExpired); undefined when none is stored or it is unreadable. */
export function loadToken(network: TokenNetwork, env: NodeJS.ProcessEnv = process.env): StoredToken | undefined {
  const file = tokenPath(network, env);
  if (!existsSync(file)) return undefined;
  let body: Partial<TokenFile>;
  try {
    body = JSON.parse(readFileSync(file, 'utf8')) as Partial<TokenFile>;
  } catch {
    return undefined;
  }
  if (typeof body.access_token !== 'string' || !body.access_token) return undefined;
  const date = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
  return {
    network,
    accessToken: body.access_token,
    expiresAt: date(body.expires_at),
    userId: body.user_id,
    userName: body.user_name,
    refreshToken: body.refresh_token,
    clientId: body.client_id,
    savedAt: date(body.saved_at) ?? new Date(0),
    file,
  };
}

export const isExpired = (token: Pick<TokenRecord, 'expiresAt'>, now = new Date()) =>
  token.expiresAt !== undefined && token.expiresAt.getTime() <= now.getTime();

/** "2025-06-01 12:00 UTC": expiry times as the CLI prints them. */
export const formatTime = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
