import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, KEY_ID_METADATA, keyId } from '../../lib/codec';

const payload = (v: unknown) => defaultPayloadConverter.toPayload(v);

describe('AesGcmCodec', () => {
  it('round-trips and hides the plaintext', async () => {
    const codec = new AesGcmCodec([randomBytes(32)]);
    const [enc] = await codec.encode([payload({ token: 'hunter2' })]);
    expect(Buffer.from(enc!.data!).includes('hunter2')).toBe(false);
    const [dec] = await codec.decode([enc!]);
    expect(defaultPayloadConverter.fromPayload(dec!)).toEqual({ token: 'hunter2' });
  });

  it('decrypts payloads of a rotated-out key and encrypts with the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const [old] = await new AesGcmCodec([oldKey]).encode([payload('v1')]);
    const rotated = new AesGcmCodec([newKey, oldKey]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toBe('v1');
    const [fresh] = await rotated.encode([payload('v2')]);
    expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe(keyId(newKey));
  });

  it('rejects a tampered payload and an unknown key', async () => {
    const codec = new AesGcmCodec([randomBytes(32)]);
    const [enc] = await codec.encode([payload('x')]);
    const data = Buffer.from(enc!.data!);
    data[data.length - 20]! ^= 0xff;
    await expect(codec.decode([{ ...enc!, data }])).rejects.toThrow();
    await expect(new AesGcmCodec([randomBytes(32)]).decode([enc!])).rejects.toThrow(/No key/);
  });

  it('passes unencrypted payloads through', async () => {
    const p = payload('plain');
    expect(await new AesGcmCodec([randomBytes(32)]).decode([p])).toEqual([p]);
  });
});
