// MD5 and CRC-32 of the bytes as they stream past, without holding a file in memory. A resumed upload
// re-hashes the prefix the destination already has by reading it from the source (never re-sending
// it), because Node cannot serialise a hash's midway state into the heartbeat.
import { createHash, type Hash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { failure, FailureType } from '../../lib/failures';
import { bufferRelease } from './buffer-release';
import type { OpenedSource, SourceReader } from './source';

export interface Digest {
  size: number;
  md5: string;
  crc32: string;
}

class HashState {
  md5: Hash = createHash('md5');
  crc = 0;
  bytes = 0;
  update(chunk: Buffer) {
    this.md5.update(chunk);
    this.crc = crc32(chunk, this.crc);
    this.bytes += chunk.length;
  }
  digest(): Digest {
    return {
      size: this.bytes,
      md5: this.md5.copy().digest('hex'),
      crc32: (this.crc >>> 0).toString(16).padStart(8, '0'),
    };
  }
}

/**
 * The source as the destination adapters open it. One hash runs over the file from byte 0: `open(offset)`
 * behind what the hash has seen (an upload resuming or starting over) sends those bytes again without
 * hashing them twice; `open(offset)` ahead of it (a resume after a crash, with a fresh hash) first reads
 * the missing prefix from the source to hash it (not uploaded). `digest()` covers every byte read.
 */
export class HashingSource {
  private readonly state = new HashState();
  private prepared?: OpenedSource;
  /** Only the latest opened stream feeds the hash: an abandoned one must not. */
  private generation = 0;
  /** Bytes read from the source only to re-hash a prefix (reported in the results/benchmarks). */
  prefixBytesRead = 0;
  /** Bytes handed to the destination. */
  bytesStreamed = 0;

  constructor(
    private readonly reader: SourceReader,
    private readonly onBytes?: (n: number) => void,
    private readonly onError?: (err: Error) => void,
  ) {}

  /** Opens the source from 0 ahead of time, to learn its size before the upload starts. */
  async prepare(): Promise<number | undefined> {
    this.prepared = await this.reader.open(0);
    return this.prepared.size;
  }

  async open(offset: number): Promise<Readable> {
    const generation = ++this.generation;
    const state = this.state;
    const prepared = offset === 0 ? this.prepared : undefined;
    if (!prepared) this.prepared?.stream.destroy();
    this.prepared = undefined;
    if (offset > state.bytes) {
      const prefix = await this.reader.open(state.bytes, offset);
      for await (const chunk of prefix.stream) {
        state.update(chunk as Buffer);
        this.prefixBytesRead += (chunk as Buffer).length;
        bufferRelease.streamed((chunk as Buffer).length);
      }
      if (state.bytes !== offset) {
        throw failure(
          FailureType.ChecksumMismatch,
          `source ended at ${state.bytes} bytes while re-reading the first ${offset}`,
        );
      }
    }
    const { stream } = prepared ?? (await this.reader.open(offset));
    let position = offset;
    // Set when the consumer destroys the stream itself (a failed chunk, an attempt starting over): the
    // source then fails with "aborted", and that is not the source's failure.
    let abandoned = false;
    const tap = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        const end = position + chunk.length;
        if (generation === this.generation && end > state.bytes) {
          state.update(position >= state.bytes ? chunk : chunk.subarray(state.bytes - position));
        }
        position = end;
        this.bytesStreamed += chunk.length;
        this.onBytes?.(chunk.length);
        bufferRelease.streamed(chunk.length);
        done(null, chunk);
      },
      destroy: (err, done) => {
        if (!stream.errored) abandoned = true;
        done(err);
      },
    });
    // A source failing mid-body must fail the upload too: some HTTP clients pipe our stream without
    // forwarding its errors and would wait forever for the rest of the body.
    return pipeline(stream, tap, (err) => {
      if (err && !abandoned && generation === this.generation) this.onError?.(err);
    });
  }

  /**
   * Hashes the source from where the hash stands to its end and answers the whole file's digest: for
   * bytes the destination already had (a session that finished before a crash, an adopted PUT). Read
   * from the source, never uploaded; the streams opened before stop feeding the hash.
   */
  async hashRest(): Promise<Digest> {
    this.generation++;
    const state = this.state;
    const opened = state.bytes === 0 && this.prepared ? this.prepared : await this.reader.open(state.bytes);
    this.prepared = undefined;
    for await (const chunk of opened.stream) {
      state.update(chunk as Buffer);
      this.prefixBytesRead += (chunk as Buffer).length;
      bufferRelease.streamed((chunk as Buffer).length);
    }
    return state.digest();
  }

  /** Releases a stream opened by prepare() and never used (e.g. the file was already there). */
  close(): void {
    this.prepared?.stream.destroy();
    this.prepared = undefined;
  }

  digest(): Digest {
    return this.state.digest();
  }
}
