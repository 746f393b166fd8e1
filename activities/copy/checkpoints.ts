// Durable upload checkpoints: a resumable session (Drive session URI, Yandex upload operation) and the
// offset the destination confirmed, in PostgreSQL next to the plan item's row. Heartbeats could not
// hold them: the SDK sends one at most once per throttle interval, so a session opened just after one
// would be unknown to Temporal until the next. When each row is written, and why that rate:
// docs/crash-recovery.md#when-it-is-written-and-the-write-rate. The session is sealed with
// FERRY_ENCRYPTION_KEY (AES-256-GCM, the payload codec's keys): a Drive session URI takes bytes into
// the user's Drive without any other credential. The sealed text is the format rows have always had
// (sessionText): Drive's session URI, or Yandex's `yadisk-operation:<id>` / `yadisk-fetch:<id>`; a
// checkpoint's kind is read back from it.
import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import type { UploadCheckpoint } from '../clouds/destination';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../lib/codec';
import type { Pool } from '../../lib/db';

/** Attempts that may start from one session without it confirming a byte more; then a fresh session. */
export const MAX_RESUMES = 2;

/** The stored prefix of each Yandex operation a checkpoint can name. */
const YANDEX_MARKER = { upload: 'yadisk-operation:', fetch: 'yadisk-fetch:' } as const;

/** A checkpoint's session as the `session` column holds it (sealed). */
export function sessionText(cp: UploadCheckpoint): string {
  return cp.kind === 'drive' ? cp.sessionUri : `${YANDEX_MARKER[cp.operation]}${cp.operationId}`;
}

/** The checkpoint a row holds: its session text, with the confirmed offset and total beside it. */
export function checkpointOf(session: string, confirmedOffset: number, total: number): UploadCheckpoint {
  for (const operation of ['upload', 'fetch'] as const) {
    const marker = YANDEX_MARKER[operation];
    if (session.startsWith(marker)) {
      return { kind: 'yandex', operation, operationId: session.slice(marker.length), confirmedOffset, total };
    }
  }
  return { kind: 'drive', sessionUri: session, confirmedOffset, total };
}

/** Which item at which destination: the row's key. */
export interface CheckpointRef {
  planId: string;
  destinationKey: string;
  seq: number;
  /** The item's key: a row left by another plan saved under the same id is not this item's. */
  key: string;
}

export interface StoredCheckpoint {
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

  private async seal(session: string): Promise<{ keyId: string; data: Buffer }> {
    const [sealed] = await this.codec.encode([{ metadata: {}, data: utf8.encode(session) }]);
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
    return (await this.loadMany(ref.planId, ref.destinationKey, [ref])).get(ref.seq);
  }

  /**
   * The checkpoints of many items in one statement (a batch of photos asks once, not once a photo);
   * each counts this attempt as one more resume, as `load` does.
   */
  async loadMany(
    planId: string,
    destinationKey: string,
    items: ReadonlyArray<Pick<CheckpointRef, 'seq' | 'key'>>,
  ): Promise<Map<number, StoredCheckpoint>> {
    const { rows } = await this.pool.query<Row & { seq: number }>(
      `update copy_upload_checkpoints c set resumes = c.resumes + 1, updated_at = now()
         from unnest($3::int[], $4::text[]) as i(seq, item_key)
        where c.plan_id = $1 and c.destination_key = $2 and c.seq = i.seq and c.item_key = i.item_key
        returning c.seq, c.name, c.session_key_id, c.session, c.confirmed_offset, c.total, c.resumes`,
      [planId, destinationKey, items.map((i) => i.seq), items.map((i) => i.key)],
    );
    const stored = new Map<number, StoredCheckpoint>();
    for (const row of rows) stored.set(row.seq, await this.fromRow(row));
    return stored;
  }

  private async fromRow(row: Row): Promise<StoredCheckpoint> {
    const session = row.resumes > MAX_RESUMES ? undefined : await this.open(row.session_key_id, row.session);
    if (!session) return { name: row.name };
    return {
      name: row.name,
      checkpoint: checkpointOf(session, Number(row.confirmed_offset), Number(row.total ?? 0)),
    };
  }

  /** A new session for the item: replaces any earlier one. */
  async save(ref: CheckpointRef, name: string, cp: UploadCheckpoint): Promise<void> {
    const sealed = await this.seal(sessionText(cp));
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

  /**
   * The item's checkpoint for one attempt: its writes go one after another, in the order they were made.
   * `preloaded`: what loadMany already read for this attempt (load() then asks PostgreSQL nothing).
   */
  forItem(
    ref: CheckpointRef,
    onError: (err: unknown) => void = () => undefined,
    preloaded?: { stored: StoredCheckpoint | undefined },
  ): ItemCheckpoint {
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
        const stored = preloaded ? preloaded.stored : await this.load(ref);
        session = stored?.checkpoint && sessionText(stored.checkpoint);
        return stored;
      },
      update: (name, cp) => {
        const text = sessionText(cp);
        if (text !== session) {
          session = text;
          pending = undefined;
          return enqueue(() => this.save(ref, name, cp));
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
