// OK's request signature, exactly as the official recipe (apiok.ru "List of REST methods") and every
// client library give it, for a server-side OAuth client:
//   secret = lower(md5(access_token + application_secret_key))
//   sig    = lower(md5(utf8( concat over params sorted by KEY, without sig and access_token, of k=v ) + secret))
// Values are signed raw (not URL-encoded) and must be exactly the values sent; access_token is added
// after signing, and the application secret key itself never leaves the worker.
import { createHash } from 'node:crypto';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex').toLowerCase();

/** Parameters that take no part in the signature. */
const UNSIGNED = new Set(['sig', 'access_token']);

/** The session secret of a server-side call: md5(access_token + application_secret_key), lower-case hex. */
export function okSessionSecret(accessToken: string, applicationSecretKey: string): string {
  return md5(accessToken + applicationSecretKey);
}

/**
 * The `k=v` string OK signs. Sorted by key (code-unit order, as Java's TreeMap and Python's sorted()
 * do), not by the joined `k=v` strings: the two differ when one key is a prefix of another.
 */
export function okSignatureBase(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => !UNSIGNED.has(k))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join('');
}

/** sig for `params` with a given session secret (server side: okSessionSecret; mobile clients: the one OAuth gave). */
export function okSignature(params: Record<string, string>, sessionSecret: string): string {
  return md5(okSignatureBase(params) + sessionSecret);
}

/** Every parameter to send: the given ones, their sig, then the access token (unsigned). */
export function signOkRequest(
  params: Record<string, string>,
  credentials: { accessToken: string; applicationSecretKey: string },
): Record<string, string> {
  const secret = okSessionSecret(credentials.accessToken, credentials.applicationSecretKey);
  return { ...params, sig: okSignature(params, secret), access_token: credentials.accessToken };
}
