// Shared bits of the cloud adapter tests: an UploadRequest over an in-memory buffer that records where
// it was opened, and a check for the typed failures the adapters throw.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import type { FolderRef, UploadCheckpoint, UploadRequest } from '../../activities/clouds/destination';

export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** The Drive session a checkpoint names; any other kind fails the test. */
export function driveSession(cp: UploadCheckpoint | undefined): string {
  expect(cp?.kind).toBe('drive');
  return (cp as Extract<UploadCheckpoint, { kind: 'drive' }>).sessionUri;
}

let seq = 0;
export function item(bytes: Buffer, over: Partial<CopyPlanItem> = {}): CopyPlanItem {
  seq++;
  return {
    key: `key-${seq}-${randomBytes(3).toString('hex')}`,
    relPath: `f${seq}.bin`,
    sourceUrl: 'http://127.0.0.1:9/none',
    size: bytes.length,
    ...over,
  };
}

/** An UploadRequest streaming `bytes` in 64 KiB pieces; `opens` lists the offsets it was opened at. */
export function request(
  folder: FolderRef,
  name: string,
  bytes: Buffer,
  it: CopyPlanItem,
  over: Partial<UploadRequest> = {},
): UploadRequest & { opens: number[]; checkpoints: UploadCheckpoint[] } {
  const opens: number[] = [];
  const checkpoints: UploadCheckpoint[] = [];
  return {
    folder,
    name,
    item: it,
    size: bytes.length,
    open: async (offset: number) => {
      opens.push(offset);
      const pieces: Buffer[] = [];
      for (let i = offset; i < bytes.length; i += 64 * 1024)
        pieces.push(bytes.subarray(i, Math.min(bytes.length, i + 64 * 1024)));
      return Readable.from(pieces);
    },
    onCheckpoint: (cp) => void checkpoints.push(cp),
    tags: { sourceKey: it.key, size: bytes.length, md5: '' },
    finalMd5: () => md5(bytes),
    opens,
    checkpoints,
    ...over,
  };
}

/** Expects `promise` to reject with an ApplicationFailure of `type` (and the given retryability). */
export async function expectFailure(promise: Promise<unknown>, type: string, nonRetryable: boolean) {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown; message?: string } | undefined;
  expect(err, 'expected a failure').toBeDefined();
  expect({ type: err!.type, nonRetryable: err!.nonRetryable }).toEqual({ type, nonRetryable });
  return err!;
}
