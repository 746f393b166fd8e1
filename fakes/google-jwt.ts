// The service-account grant (urn:ietf:params:oauth:grant-type:jwt-bearer) as Google checks it: an RS256
// JWT signed with a registered key, `aud` equal to the token URL, at most an hour long, with a scope.
import { verify, type KeyObject } from 'node:crypto';

const b64urlJson = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;

export type JwtCheck = { iss: string; scope: string } | { error: string; description: string };

export function verifyJwtBearer(assertion: string, keys: Map<string, KeyObject>, tokenUrl: string): JwtCheck {
  const [h, p, s] = assertion.split('.');
  const malformed = { error: 'invalid_request', description: 'Invalid JWT: malformed assertion' };
  if (!h || !p || !s) return malformed;
  let header: Record<string, unknown>, claims: Record<string, unknown>;
  try {
    header = b64urlJson(h);
    claims = b64urlJson(p);
  } catch {
    return malformed;
  }
  if (header.alg !== 'RS256') return { error: 'invalid_grant', description: 'Invalid JWT: unsupported algorithm' };
  const key = keys.get(String(claims.iss));
  if (!key) return { error: 'invalid_grant', description: 'Invalid grant: account not found' };
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')))
    return { error: 'invalid_grant', description: 'Invalid JWT Signature.' };
  if (claims.aud !== tokenUrl)
    return {
      error: 'invalid_grant',
      description: `Invalid JWT: Failed audience check. The right audience is ${tokenUrl}`,
    };
  const now = Math.floor(Date.now() / 1000);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp - iat > 3600 || exp < now || iat > now + 300)
    return {
      error: 'invalid_grant',
      description:
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    };
  if (typeof claims.scope !== 'string' || !claims.scope)
    return { error: 'invalid_scope', description: 'Invalid OAuth scope or ID token audience provided.' };
  return { iss: String(claims.iss), scope: claims.scope };
}
