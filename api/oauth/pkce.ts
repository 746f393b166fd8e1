// PKCE (RFC 7636) with S256: the verifier stays with the pending workflow; only the challenge travels
// in the authorization URL.
import { createHash, randomBytes } from 'node:crypto';

export function newPkce(): { codeVerifier: string; codeChallenge: string } {
  // 32 random bytes -> 43 base64url characters, the minimum length the RFC allows and what Google's client makes.
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  return { codeVerifier, codeChallenge };
}
