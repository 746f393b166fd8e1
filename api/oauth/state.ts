// The OAuth `state`: `<requestId>.<mac>`. The request id (128 random bits) names the pending workflow;
// the MAC (HMAC-SHA256 under a key derived from FERRY_ENCRYPTION_KEY) proves the API issued it, so a
// tampered or invented state is refused before anything else is looked up. Single use and expiry are
// the workflow's job (it accepts one authorization, and ends when its timer fires).
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const isRequestId = (id: string) => ID_PATTERN.test(id);

function stateKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'ferry/cloud_archive/oauth-state', 32));
}

const mac = (key: Buffer, requestId: string) =>
  createHmac('sha256', stateKey(key)).update(requestId).digest('base64url');

export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

export function signState(requestId: string, keys: Buffer[]): string {
  return `${requestId}.${mac(keys[0]!, requestId)}`;
}

/** The request id of a state the API issued (under any configured key, so keys can rotate), else undefined. */
export function verifyState(state: string, keys: Buffer[]): string | undefined {
  const [id, given, extra] = state.split('.');
  if (extra !== undefined || !id || !given || !ID_PATTERN.test(id) || !MAC_PATTERN.test(given)) return undefined;
  const givenBytes = Buffer.from(given, 'base64url');
  const ok = keys.some((k) => timingSafeEqual(Buffer.from(mac(k, id), 'base64url'), givenBytes));
  return ok ? id : undefined;
}
