// A source stream read in the exact slices Drive's chunks need (resumable.ts), without copying: a piece
// that straddles two chunks is split, and what a gathered last chunk did not use goes back to the cursor.
import type { Readable } from 'node:stream';
import { failure, FailureType } from '../../../lib/failures';

/** Reads a source stream in exact slices, without copying: a piece that straddles two chunks is split. */
export class SourceCursor {
  private it: AsyncIterator<Buffer>;
  private head?: Buffer;
  ended = false;
  /** Why a streamed chunk stopped short: the source's fault, not Drive's. */
  error?: Error;

  constructor(private stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.head) {
      const head = this.head;
      this.head = undefined;
      return head;
    }
    if (this.ended) return undefined;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    return Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
  }

  /** The next `n` bytes as they arrive; a source ending sooner fails the chunk (its size is wrong). */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      let buf = await this.next();
      if (!buf) {
        this.error = failure(FailureType.ChecksumMismatch, `source ended ${left} bytes short of the expected size`);
        throw this.error;
      }
      if (buf.length > left) {
        this.head = buf.subarray(left);
        buf = buf.subarray(0, left);
      }
      left -= buf.length;
      yield buf;
    }
  }

  /** Up to `n` bytes gathered in memory (fewer when the source ends first). */
  async gather(n: number): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const buf = await this.next();
      if (!buf) break;
      pieces.push(buf);
      have += buf.length;
    }
    return pieces;
  }

  /** The first `n` bytes of gathered pieces as a body; what lies beyond goes back to the cursor. */
  replay(pieces: Buffer[], n: number): AsyncIterable<Buffer> {
    const out: Buffer[] = [];
    let left = n;
    for (const [i, piece] of pieces.entries()) {
      if (piece.length <= left) {
        out.push(piece);
        left -= piece.length;
        continue;
      }
      if (left > 0) out.push(piece.subarray(0, left));
      this.head = Buffer.concat([piece.subarray(left), ...pieces.slice(i + 1)]);
      break;
    }
    return (async function* () {
      yield* out;
    })();
  }

  close(): void {
    this.stream.destroy();
  }
}
