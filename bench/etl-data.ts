// bench:etl's data, prepared outside any timing: the fake IT Resume API serving one day of generated
// records (its reply rendered to disk once, then served as a file, so generating them does not compete
// with Ferry for the CPU), and the same records transformed by Ferry's own validation as CSV for
// psql \copy, plus a sample of rows for the row-by-row baseline.
import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateRecord } from '../activities/itresume/record';
import { startItResumeFake } from '../fakes/itresume';

export const DAY = '2024-10-08';
export const COLUMNS =
  'created_at, lti_user_id, attempt_type, is_correct, oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params';

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const csvField = (v: string | number | null) =>
  v === null ? '' : typeof v === 'number' ? String(v) : `"${v.replace(/"/g, '""')}"`;

export async function prepareRecords(dir: string, records: number, sampleSize: number) {
  const itresume = await startItResumeFake({
    days: [DAY],
    recordsPerDay: records,
    users: 5000,
    seed: 'bench',
    cacheDir: dir,
  });
  const dayStartUs = Date.parse(`${DAY}T00:00:00Z`) * 1000;
  const csvPath = join(dir, 'attempts.csv');
  const csv = createWriteStream(csvPath);
  const sample: string[][] = [];
  let buf = '';
  for (const r of itresume.generator.between(dayStartUs, dayStartUs + 86_400_000_000)) {
    const v = validateRecord(r);
    if (!v.ok) continue;
    const a = v.attempt;
    const row = [
      a.createdAt,
      a.ltiUserId,
      a.attemptType,
      a.isCorrect,
      a.oauthConsumerKey,
      a.lisResultSourcedid,
      a.lisOutcomeServiceUrl,
      a.extraParams ? JSON.stringify(a.extraParams) : null,
    ];
    if (sample.length < sampleSize) sample.push(row.map((x) => (x === null ? (null as unknown as string) : String(x))));
    buf += row.map(csvField).join(',') + '\n';
    if (buf.length > 1 << 20) {
      if (!csv.write(buf)) await once(csv, 'drain');
      buf = '';
    }
  }
  csv.end(buf);
  await once(csv, 'finish');
  // Warm the fake's cache: the reply is rendered to disk once, then served as a file.
  const query = new URLSearchParams({
    client: itresume.client,
    client_key: itresume.clientKey,
    start: `${DAY} 00:00:00.000000`,
    end: '2024-10-09 00:00:00.000000',
  });
  const warm = await fetch(`${itresume.url}?${query}`);
  let replyBytes = 0;
  for await (const chunk of warm.body!) replyBytes += (chunk as Uint8Array).length;
  return { itresume, csvPath, csvMb: mb(statSync(csvPath).size), replyMb: mb(replyBytes), sample };
}
