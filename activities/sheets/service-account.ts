// Service-account auth for Sheets: the OAuth 2.0 JWT-bearer grant (RFC 7523) done here, against
// GOOGLE_TOKEN_URL. google-auth-library's JWT client ignores the key's token_uri and always posts to
// Google's hard-coded endpoint, which would make the URL unconfigurable.
import { createSign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { failure, FailureType } from '../../lib/failures';

const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

/** GOOGLE_SERVICE_ACCOUNT_JSON is the key's JSON text or the path of the key file. */
export function readServiceAccountKey(value: string): ServiceAccountKey {
  const text = value.trimStart().startsWith('{') ? value : existsSync(value) ? readFileSync(value, 'utf8') : undefined;
  const invalid = (why: string) => failure(FailureType.InvalidInput, `GOOGLE_SERVICE_ACCOUNT_JSON: ${why}`);
  if (text === undefined) throw invalid('neither JSON text nor an existing key file');
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(text) as Partial<ServiceAccountKey>;
  } catch {
    throw invalid('not valid JSON');
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw invalid('client_email and private_key are required');
  }
  return key as ServiceAccountKey;
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

function signAssertion(key: ServiceAccountKey, tokenUrl: string, scope: string, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const claims = { iss: key.client_email, scope, aud: tokenUrl, iat, exp: iat + 3600 };
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key);
  return `${unsigned}.${b64url(signature)}`;
}

const cache = new Map<string, { token: string; expiresAt: number }>();

/** An access token for the key and scope, cached in the process until a minute before it expires. */
export async function serviceAccountToken(key: ServiceAccountKey, tokenUrl: string, scope = SHEETS_SCOPE) {
  const cacheKey = `${tokenUrl} ${key.client_email} ${scope}`;
  const hit = cache.get(cacheKey);
  if (hit && hit.expiresAt - 60_000 > Date.now()) return hit.token;
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion: signAssertion(key, tokenUrl, scope) }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token) {
    const message = `Google token endpoint answered ${res.status}: ${body.error ?? 'no access_token'}${
      body.error_description ? ` (${body.error_description})` : ''
    }`;
    // invalid_grant / unauthorized_client / invalid_client: the key is wrong or disabled; a retry cannot help.
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw failure(FailureType.AuthRevoked, message);
    }
    throw new Error(message);
  }
  cache.set(cacheKey, { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 });
  return body.access_token;
}
