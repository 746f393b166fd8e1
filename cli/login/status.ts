// `ferry login --status`: what is saved for each network and cloud, whose it is and when it expires,
// and which environment variable would override it. Never the tokens themselves.
import { storedGoogleToken } from '../google-auth';
import { configDir, formatTime, isExpired, loadToken, NETWORK_NAMES, type TokenNetwork } from '../token-store';

/** The variable a backup prefers over the saved token (cli/tokens.ts). */
const OVERRIDES: Record<TokenNetwork, string> = {
  vk: 'VK_TOKEN',
  ok: 'OK_ACCESS_TOKEN',
  yandex: 'YANDEX_DISK_TOKEN',
};

function remaining(until: Date, now: Date): string {
  const hours = (until.getTime() - now.getTime()) / 3_600_000;
  return hours >= 48
    ? `in ${Math.floor(hours / 24)} days`
    : hours >= 1
      ? `in ${Math.floor(hours)} h`
      : 'within the hour';
}

function networkLine(network: TokenNetwork, env: NodeJS.ProcessEnv, now: Date): string {
  const t = loadToken(network, env);
  if (!t) return `none: run \`ferry login ${network}\``;
  const who = t.userName ? `${t.userName} (id ${t.userId})` : t.userId ? `id ${t.userId}` : 'saved token';
  let when: string;
  if (!t.expiresAt) when = 'no expiry given';
  else if (!isExpired(t, now)) when = `expires ${formatTime(t.expiresAt)} (${remaining(t.expiresAt, now)})`;
  else if (network === 'yandex' && t.refreshToken)
    when = `expired ${formatTime(t.expiresAt)}, renewed with its refresh token`;
  else when = `EXPIRED ${formatTime(t.expiresAt)}: run \`ferry login ${network}\``;
  return `${who}, ${when}; saved ${formatTime(t.savedAt)}`;
}

export function statusLines(env: NodeJS.ProcessEnv = process.env, now = new Date()): string[] {
  const label = (name: string) => name.padEnd(13);
  const lines = [`Saved tokens (${configDir(env)}):`];
  for (const network of ['vk', 'ok', 'yandex'] as const) {
    lines.push(`  ${label(NETWORK_NAMES[network])}${networkLine(network, env, now)}`);
  }
  const google = storedGoogleToken(env);
  lines.push(
    `  ${label('Google Drive')}${
      google
        ? `refresh token, no expiry (until revoked); saved ${google.savedAt ? formatTime(google.savedAt) : '?'}`
        : 'none: run `ferry login google`'
    }`,
  );
  for (const network of ['vk', 'ok', 'yandex'] as const) {
    if (env[OVERRIDES[network]]) {
      lines.push(`${OVERRIDES[network]} is set: backups use it instead of the saved ${NETWORK_NAMES[network]} token.`);
    }
  }
  return lines;
}
