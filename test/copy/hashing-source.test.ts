// HashingSource's error channel: a source failing mid-body is reported (so an upload cannot wait forever
// for the rest), while a stream the uploader abandons itself — a Drive chunk that failed and is resent
// from the confirmed offset — is not a source failure and must not fail the attempt.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../activities/clouds';
import { HashingSource } from '../../activities/copy/hashing';
import { SourceReader } from '../../activities/copy/source';
import { item, md5 } from '../clouds/helpers';
import { startCopyStack, type CopyStack } from './stack';

// The copy tests' fakes and config: Drive's resumable cutoff at 1 MiB, 256 KiB chunks.
let stack: CopyStack;
beforeAll(async () => {
  stack = await startCopyStack();
});
afterAll(() => stack?.close());

function hashing(path: string, errors: string[]) {
  return new HashingSource(
    new SourceReader(stack.source.urlOf(path), { allowPrivateNetwork: true }),
    undefined,
    (err) => errors.push(err.message),
  );
}

describe('HashingSource errors', () => {
  it.each([
    ['dropped', { kind: 'drop', afterBytes: 700 } as const],
    ['503', { kind: 'status', status: 503 } as const],
  ])('a Drive chunk %s mid-upload is resent without a source error', async (_, fault) => {
    const { drive, source } = stack;
    const dest = createDestination(stack.driveSpec(`Chunks ${randomBytes(3).toString('hex')}`), stack.config);
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(1_500_000);
    const path = `/chunks-${randomBytes(3).toString('hex')}.bin`;
    source.addFile(path, bytes);
    drive.faults.add({ method: 'PUT', path: '/upload/drive/v3/files', nth: 3, fault });
    const errors: string[] = [];
    const src = hashing(path, errors);
    const it = item(bytes);
    const remote = await dest.upload({
      folder,
      name: 'chunked.bin',
      item: it,
      size: bytes.length,
      open: (offset) => src.open(offset),
      tags: { sourceKey: it.key, size: bytes.length, md5: '' },
      finalMd5: () => src.digest().md5,
    });
    drive.faults.clear();
    expect(drive.faults.log.some((r) => r.fault)).toBe(true);
    expect(remote.md5).toBe(md5(bytes));
    expect(src.digest().md5).toBe(md5(bytes));
    // Give a late error from the abandoned stream time to arrive.
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([]);
  });

  it('reports a source that drops its connection mid-body', async () => {
    const { source } = stack;
    const path = `/dropping-${randomBytes(3).toString('hex')}.bin`;
    source.addFile(path, randomBytes(300_000));
    source.injectFault({ kind: 'drop', afterBytes: 100_000 }, { path });
    const errors: string[] = [];
    const stream = await hashing(path, errors).open(0);
    await expect(stream.toArray()).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});
