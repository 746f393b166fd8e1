// OK's request signature against the test vectors the client libraries publish
// (/work/shared/ok-api-notes.md §2.4), for Ferry's signer and for the OK fake's own verifier.
import { describe, expect, it } from 'vitest';
import { okSessionSecret, okSignature, okSignatureBase, signOkRequest } from '../../activities/ok/signature';
import { expectedOkSig, verifyOkSignature } from '../../fakes/ok-signature';

const VECTORS: Array<{
  source: string;
  secretKey: string;
  token: string;
  params: Record<string, string>;
  secret?: string;
  sig: string;
}> = [
  {
    source: 'python-odnoklassniki tests (from OK request calculator)',
    secretKey: '2',
    token: '3',
    params: { application_key: '1', format: 'json', method: 'friends.get' },
    secret: '6364d3f0f495b6ab9dcf8d3b5c6e0b01',
    sig: 'd7348fe0d7d735aa2156fa5c596ab8cc',
  },
  {
    source: 'aiookru docs',
    secretKey: 'ABC123DEF456GHI789JKL123',
    token: '-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7',
    params: { application_key: 'ABCDEFGHIGKLMNOPK', method: 'events.get', format: 'json' },
    secret: 'b1a2b89707a94624c43afae67d59274c',
    sig: '232c8eb921951c4dba9b72606f9ddb4c',
  },
  {
    source: 'pyodnoklassniki tests (no format)',
    secretKey: 'app secret key',
    token: 'access token',
    params: { application_key: 'app key', method: 'users.getCurrentUser' },
    sig: '8a41a73bcef600b6a3464158b2059549',
  },
];

describe('OK request signature', () => {
  it.each(VECTORS)('matches the published vector: $source', (v) => {
    const secret = okSessionSecret(v.token, v.secretKey);
    if (v.secret) expect(secret).toBe(v.secret);
    expect(okSignature(v.params, secret)).toBe(v.sig);
    const sent = signOkRequest(v.params, { accessToken: v.token, applicationSecretKey: v.secretKey });
    expect(sent).toEqual({ ...v.params, sig: v.sig, access_token: v.token });
    // The fake verifies the same request, from its own implementation.
    expect(expectedOkSig(sent, v.secretKey)).toBe(v.sig);
    expect(verifyOkSignature(sent, v.secretKey)).toBe(true);
  });

  it('matches the aiookru vector signed with a client session_secret_key', () => {
    const params = { application_key: 'ABCDEFGHIGKLMNOPK', method: 'events.get', format: 'json' };
    expect(okSignatureBase(params)).toBe('application_key=ABCDEFGHIGKLMNOPKformat=jsonmethod=events.get');
    expect(okSignature(params, 'ae5362b5b588cc7294c2414d71b74d5d')).toBe('03a41413523ea8092507949d6e711963');
  });

  it('sorts by key, not by the joined k=v strings, and leaves sig and access_token out', () => {
    // "a1=…" sorts before "a=…" as strings; by key "a" comes first.
    expect(okSignatureBase({ a1: 'x', a: 'y', sig: 'zzz', access_token: 't' })).toBe('a=ya1=x');
    expect(okSignatureBase({ fields: 'photo.pic_max,photo.like_count', count: '100' })).toBe(
      'count=100fields=photo.pic_max,photo.like_count',
    );
  });

  it('signs raw UTF-8 values: the fake refuses any value that differs from the signed one', () => {
    const sent = signOkRequest(
      { application_key: 'k', method: 'photos.getPhotos', anchor: 'Zm9v+/=', text: 'Лето' },
      { accessToken: 't', applicationSecretKey: 's' },
    );
    expect(verifyOkSignature(sent, 's')).toBe(true);
    expect(verifyOkSignature({ ...sent, anchor: encodeURIComponent('Zm9v+/=') }, 's')).toBe(false);
    expect(verifyOkSignature({ ...sent, sig: sent.sig!.toUpperCase() }, 's')).toBe(false);
    expect(verifyOkSignature({ ...sent, access_token: 'other' }, 's')).toBe(false);
    expect(verifyOkSignature(sent, 'wrong secret')).toBe(false);
  });
});
