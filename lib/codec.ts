// AES-256-GCM payload codec: every payload Ferry hands to Temporal (workflow arguments, activity
// inputs and results, queries) is encrypted before it leaves the process, so tokens never rest in
// plaintext in Temporal's history. The key id travels in the payload metadata so keys can rotate:
// the first key encrypts, every configured key can decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY, ValueError } from '@temporalio/common';
// CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const fromUtf8 = (b: Uint8Array) => new TextDecoder().decode(b);

/** A short, non-secret fingerprint of a key: lets a decoder pick the right key without trying all. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

interface CodecOptions {
  /**
   * Refuse to decode a payload that is not encrypted (the worker in production): whoever can reach
   * Temporal could otherwise hand a workflow plaintext input Ferry never wrote.
   */
  requireEncrypted?: boolean;
}

export class AesGcmCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly activeId: string;

  constructor(
    keys: Buffer[],
    private readonly options: CodecOptions = {},
  ) {
    if (!keys.length || keys.some((k) => k.length !== 32)) throw new ValueError('AesGcmCodec needs 32-byte keys');
    this.keys = new Map(keys.map((k) => [keyId(k), k]));
    this.activeId = keyId(keys[0]!);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.activeId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || fromUtf8(encoding) !== ENCRYPTED_ENCODING) {
        if (!this.options.requireEncrypted) return payload;
        throw new ValueError(
          `Refusing an unencrypted payload (encoding ${encoding ? fromUtf8(encoding) : 'missing'}): ` +
            'in production Ferry accepts only payloads encrypted with its key',
        );
      }
      const id = payload.metadata?.[KEY_ID_METADATA];
      const key = id && this.keys.get(fromUtf8(id));
      if (!key) throw new ValueError(`No key for encrypted payload (key id ${id ? fromUtf8(id) : 'missing'})`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * The failure converter module (lib/failure-converter.cjs), by path as the SDK wants it. `npm run build`
 * puts a copy next to dist/*.mjs, so this resolves beside whichever file the code runs from.
 */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/**
 * The data converter every Ferry client and worker uses: AES-GCM payloads, and failures whose message and
 * stack travel encoded (so encrypted). The workflow bundle must be built with the same failure converter
 * (bundleWorkflowCode's failureConverterPath: scripts/build.ts, the tests' global setup).
 */
export function ferryDataConverter(keys: Buffer[], options: CodecOptions = {}) {
  return { payloadCodecs: [new AesGcmCodec(keys, options)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
