// Reading upload bodies in the cloud fakes, with the body-level faults applied on the way: a
// connection dropped after N bytes, a flipped byte. Plus multipart/related splitting for Drive.
import type { IncomingMessage } from 'node:http';
import type { Fault } from './faults';

/** Reads a request body, applying a `drop` (after N bytes) or `corrupt` fault on the way. */
export async function receive(
  req: IncomingMessage,
  fault: Fault | undefined,
  onData?: (buf: Buffer) => void,
): Promise<{ complete: boolean; bytesIn: number; body: Buffer }> {
  const keep: Buffer[] = [];
  let bytesIn = 0;
  const dropAt = fault?.kind === 'drop' ? (fault.afterBytes ?? 0) : Infinity;
  const corruptAt = fault?.kind === 'corrupt' && onData ? (fault.offset ?? 0) : -1;
  try {
    for await (const raw of req) {
      let buf = raw as Buffer;
      if (bytesIn + buf.length > dropAt) buf = buf.subarray(0, dropAt - bytesIn);
      if (corruptAt >= bytesIn && corruptAt < bytesIn + buf.length) {
        buf = Buffer.from(buf);
        flip(buf, corruptAt - bytesIn);
      }
      bytesIn += buf.length;
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
