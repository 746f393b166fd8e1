// photos.json next to the photos, through the same Destination adapter the copy engine uses. The file
// is tagged with the backup's key, so a re-run recognises its own report: unchanged -> left alone,
// changed -> replaced (never a second "photos (1).json").
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Destination } from '../clouds/destination';
import type { UploadReportInput } from './types';

const REPORT_NAME = 'photos.json';

export async function uploadReportFile(
  destination: Destination,
  input: UploadReportInput,
): Promise<{ path: string; status: 'written' | 'unchanged' }> {
  const bytes = Buffer.from(input.text, 'utf8');
  const md5 = createHash('md5').update(bytes).digest('hex');
  const item = {
    key: input.key,
    relPath: REPORT_NAME,
    sourceUrl: `ferry:report/${encodeURIComponent(input.key)}`,
    size: bytes.length,
    md5,
    mimeType: 'application/json',
  };
  const folder = await destination.ensureFolder('');
  const { existing, freeName } = await destination.probe(folder, REPORT_NAME, item);
  if (existing && existing.size === bytes.length && (existing.md5 === undefined || existing.md5 === md5)) {
    return { path: existing.path, status: 'unchanged' };
  }
  if (existing) await destination.remove(existing);
  const name = existing ? existing.name : freeName;
  const stored = await destination.upload({
    folder,
    name,
    item,
    size: bytes.length,
    open: async (offset) => Readable.from([bytes.subarray(offset)]),
    tags: { sourceKey: input.key, size: bytes.length, md5 },
    finalMd5: () => md5,
  });
  return { path: stored.path, status: 'written' };
}
