// The OK fake's own check of a request signature, written from OK's recipe (apiok.ru) and not shared
// with Ferry's signer, so a test that passes shows Ferry agrees with OK rather than with itself.
import { createHash } from 'node:crypto';

const hex = (s: string) => createHash('md5').update(Buffer.from(s, 'utf8')).digest('hex');

/** The sig OK expects for the received parameters: the secret is md5(access_token + app secret). */
export function expectedOkSig(received: Record<string, string>, applicationSecretKey: string): string {
  const secret = hex((received.access_token ?? '') + applicationSecretKey).toLowerCase();
  const keys = Object.keys(received).filter((k) => k !== 'sig' && k !== 'access_token');
  // By key (a TreeMap's order), never by the joined "k=v" strings.
  keys.sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
  let signed = '';
  for (const k of keys) signed += k + '=' + received[k];
  return hex(signed + secret).toLowerCase();
}

/** Exactly: lower-case hex, over the values as received (no re-encoding, no case folding). */
export function verifyOkSignature(received: Record<string, string>, applicationSecretKey: string): boolean {
  return received.sig === expectedOkSig(received, applicationSecretKey);
}
