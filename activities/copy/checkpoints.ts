// Durable upload checkpoints: a resumable session (Drive session URI, Yandex upload operation) and the
// offset the destination confirmed, in PostgreSQL next to the plan item's row. Heartbeats could not
// hold them: the SDK sends one at most once per throttle interval, so a session opened just after one
// would be unknown to Temporal until the next. When each row is written, and why that rate:
// docs/crash-recovery.md#when-it-is-written-and-the-write-rate. The session URI is sealed with
// FERRY_ENCRYPTION_KEY (AES-256-GCM, the payload codec's keys): a Drive session URI takes bytes into
// the user's Drive without any other credential.
import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import type { UploadCheckpoint } from '../clouds/destination';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../lib/codec';
import type { Pool } from '../../lib/db';

/** Attempts that may start from one session without it confirming a byte more; then a fresh session. */
export const MAX_RESUMES = 2;

/** Which item at which destination: the row's key. */
export interface CheckpointRef {
  planId: string;
  destinationKey: string;
  seq: number;
  /** The item's key: a row left by another plan saved under the same id is not this item's. */
  key: string;
}

interface StoredCheckpoint {
  /** The file name the earlier attempt chose at the destination. */
  name: string;
  /** Undefined when the session was abandoned (it kept failing, or cannot be decrypted any more). */
  checkpoint?: UploadCheckpoint;
}

/** One item's checkpoint, as the copy engine uses it during one attempt. */
export interface ItemCheckpoint {
  /** The earlier attempts' checkpoint; counts this attempt as one more resume of it. */
  load(): Promise<StoredCheckpoint | undefined>;
  /** The adapter's onCheckpoint: a new session is written before this resolves, an offset is queued. */
  update(name: string, cp: UploadCheckpoint): void | Promise<void>;
  /** Forgets the session (it ended in a bad copy, or its name is another file's). */
  clear(): Promise<void>;
}

interface Row {
  name: string;
  session_key_id: string;
  session: Buffer;
  confirmed_offset: string;
  total: string | null;
  resumes: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class CheckpointStore {
  private readonly codec: AesGcmCodec;

  constructor(
    private readonly pool: Pool,
    keys: Buffer[],
  ) {
    this.codec = new AesGcmCodec(keys);
  }

  private async seal(sessionUri: string): Promise<{ keyId: string; data: Buffer }> {
    const [sealed] = await this.codec.encode([{ metadata: {}, data: utf8.encode(sessionUri) }]);
    return {
      keyId: fromUtf8.decode(sealed!.metadata![KEY_ID_METADATA]!),
      data: Buffer.from(sealed!.data!),
    };
  }

  private async open(keyId: string, data: Buffer): Promise<string | undefined> {
    const payload: Payload = {
      metadata: { [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(keyId) },
      data,
    };
    // A key rotated out of FERRY_ENCRYPTION_KEY(_PREVIOUS) costs the session, not the copy.
    const plain = await this.codec.decode([payload]).catch(() => undefined);
    return plain?.[0]?.data ? fromUtf8.decode(plain[0].data) : undefined;
  }

  async load(ref: CheckpointRef): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.pool.query<Row>(
      `update copy_upload_checkpoints set resumes = resumes + 1, updated_at = now()
        where plan_id = $1 and destination_key = $2 and seq = $3 and item_key = $4
        returning name, session_key_id, session, confirmed_offset, total, resumes`,
      [ref.planId, ref.destinationKey, ref.seq, ref.key],
    );
    const row = rows[0];
    if (!row) return undefined;
    const sessionUri = row.resumes > MAX_RESUMES ? undefined : await this.open(row.session_key_id, row.session);
    if (!sessionUri) return { name: row.name };
    return {
      name: row.name,
      checkpoint: { sessionUri, confirmedOffset: Number(row.confirmed_offset), total: Number(row.total ?? 0) },
    };
  }

  /** A new session for the item: replaces any earlier one. */
  async save(ref: CheckpointRef, name: string, cp: UploadCheckpoint & { sessionUri: string }): Promise<void> {
    const sealed = await this.seal(cp.sessionUri);
    await this.pool.query(
      `insert into copy_upload_checkpoints
         (plan_id, destination_key, seq, item_key, name, session_key_id, session, confirmed_offset, total)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (plan_id, destination_key, seq) do update set
         item_key = excluded.item_key, name = excluded.name, session_key_id = excluded.session_key_id,
         session = excluded.session, confirmed_offset = excluded.confirmed_offset, total = excluded.total,
         resumes = 0, updated_at = now()`,
      [ref.planId, ref.destinationKey, ref.seq, ref.key, name, sealed.keyId, sealed.data, cp.confirmedOffset, cp.total],
    );
  }

  /** The destination confirmed `offset` bytes of the current session. Progress resets the resume count. */
  async confirm(ref: CheckpointRef, offset: number, total: number): Promise<void> {
    await this.pool.query(
      `update copy_upload_checkpoints
          set confirmed_offset = $5, total = $6, updated_at = now(),
              resumes = case when $5 > confirmed_offset then 0 else resumes end
        where plan_id = $1 and destination_key = $2 and seq = $3 and item_key = $4`,
      [ref.planId, ref.destinationKey, ref.seq, ref.key, offset, total],
    );
  }

  async clear(ref: CheckpointRef): Promise<void> {
    await this.pool.query(
      'delete from copy_upload_checkpoints where plan_id = $1 and destination_key = $2 and seq = $3',
      [ref.planId, ref.destinationKey, ref.seq],
    );
  }

  /** The item's checkpoint for one attempt: its writes go one after another, in the order they were made. */
  forItem(ref: CheckpointRef, onError: (err: unknown) => void = () => undefined): ItemCheckpoint {
    let chain: Promise<void> = Promise.resolve();
    const enqueue = (write: () => Promise<void>) => {
      const done = chain.then(write);
      chain = done.catch(() => undefined);
      return done;
    };
    let session: string | undefined;
    let pending: UploadCheckpoint | undefined;
    return {
      load: async () => {
        const stored = await this.load(ref);
        session = stored?.checkpoint?.sessionUri;
        return stored;
      },
      update: (name, cp) => {
        if (cp.sessionUri && cp.sessionUri !== session) {
          session = cp.sessionUri;
          pending = undefined;
          return enqueue(() => this.save(ref, name, { ...cp, sessionUri: cp.sessionUri! }));
        }
        // Offsets coalesce: one write in flight, the newest waiting behind it. Losing one costs nothing
        // but its freshness: the next attempt asks the destination for the confirmed offset anyway.
        const queued = pending !== undefined;
        pending = cp;
        if (queued) return;
        void enqueue(async () => {
          const latest = pending;
          pending = undefined;
          if (latest) await this.confirm(ref, latest.confirmedOffset, latest.total);
        }).catch(onError);
      },
      clear: () => {
        session = undefined;
        pending = undefined;
        return enqueue(() => this.clear(ref));
      },
    };
  }
}
