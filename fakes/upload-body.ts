// Reading upload bodies in the cloud fakes, with the body-level faults applied on the way: a
// connection dropped after N bytes, a flipped byte, a slow uplink. Plus multipart/related splitting for Drive.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from './faults';
import { sleep } from './http-kit';

/** Reads a request body, applying a `drop` (after N bytes), `corrupt` or `slowBody` fault on the way. */
export async function receive(
  req: IncomingMessage,
  fault: Fault | undefined,
  onData?: (buf: Buffer) => void,
  /** Bytes read so far, as they arrive (for inspection while a body is in flight). */
  onProgress?: (bytesIn: number) => void,
): Promise<{ complete: boolean; bytesIn: number; body: Buffer }> {
  const keep: Buffer[] = [];
  let bytesIn = 0;
  const dropAt = fault?.kind === 'drop' ? (fault.afterBytes ?? 0) : Infinity;
  const corruptAt = fault?.kind === 'corrupt' && onData ? (fault.offset ?? 0) : -1;
  const bytesPerSec = fault?.kind === 'slowBody' ? fault.bytesPerSec : 0;
  const started = Date.now();
  try {
    for await (const raw of req) {
      // Paced by what has been read so far: the socket's buffers fill and TCP holds the sender back.
      if (bytesPerSec) await sleep(Math.max(0, started + (bytesIn / bytesPerSec) * 1000 - Date.now()));
      let buf = raw as Buffer;
      if (bytesIn + buf.length > dropAt) buf = buf.subarray(0, dropAt - bytesIn);
      if (corruptAt >= bytesIn && corruptAt < bytesIn + buf.length) {
        buf = Buffer.from(buf);
        flip(buf, corruptAt - bytesIn);
      }
      bytesIn += buf.length;
      onProgress?.(bytesIn);
      if (onData) onData(buf);
      else keep.push(buf);
      if (bytesIn >= dropAt) {
        req.socket.destroy();
        return { complete: false, bytesIn, body: Buffer.alloc(0) };
      }
    }
  } catch {
    return { complete: false, bytesIn, body: Buffer.alloc(0) };
  }
  // A client that aborted mid-body ends the stream early with `aborted` set instead of throwing.
  if (!req.complete) return { complete: false, bytesIn, body: Buffer.alloc(0) };
  return { complete: true, bytesIn, body: Buffer.concat(keep) };
}

/** Holds the answer of an upload that was stored in full (`holdAnswer`); false when the client left meanwhile. */
export async function holdAnswer(res: ServerResponse, fault: Fault | undefined): Promise<boolean> {
  if (fault?.kind !== 'holdAnswer') return true;
  const gone = () => res.destroyed || res.socket?.destroyed === true;
  const end = Date.now() + fault.ms;
  while (Date.now() < end && !gone()) await sleep(Math.min(100, end - Date.now()));
  return !gone();
}

export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) void _;
}

export function flip(buf: Buffer, offset: number): void {
  if (buf.length === 0) return;
  const i = Math.min(offset, buf.length - 1);
  buf[i] = buf[i]! ^ 0xff;
}

export function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // Each part: CRLF, headers, blank line, content, CRLF before the next delimiter.
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    parts.push(content);
    pos = next;
  }
  return parts;
}
