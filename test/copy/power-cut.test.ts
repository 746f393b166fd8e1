// The power-cut test: the whole stack (worker, Temporal dev server, PostgreSQL) SIGKILLed at once while
// uploads are in flight, within 2 s of their sessions' creation (long before a throttled heartbeat
// could have carried a session to Temporal), then started again on the same data. What must hold:
//  - Drive: every interrupted resumable session finishes in that same session; at most one chunk per
//    file is sent again;
//  - Yandex Disk (no ranged resume): a PUT that had delivered every byte is adopted, never sent again;
//    a PUT cut mid-body is started over exactly once;
//  - a batch of small files in flight: no file uploaded twice;
//  - every file exactly once at the destination, with the source's md5.
// Plans carry no md5 (the gallery's listings have only CRC-32), so an untagged copy is not recognised
// by its checksum: only the durable checkpoint can tell that it is ours.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanStore } from '../../activities/copy/plan-store';
import type { CopyPlanItem, CopySummary, DestinationSpec, PlanRef } from '../../lib/jobs/copy-to-cloud';
import { createPool } from '../../lib/db';
import { copyToCloud } from '../../workflows';
import { startDriveFake, type DriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { startSourceServer, type SourceServer } from '../../fakes/source-server';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';
import { uniqueTaskQueue } from '../helpers/temporal';
import { startPowerCutStack, type PowerCutStack } from './power-cut-stack';
import { cloudSpecs } from './stack';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = MiB;

let googleOAuth: GoogleOAuthFake;
let yandexOAuth: YandexOAuthFake;
let source: SourceServer;
beforeAll(async () => {
  [googleOAuth, yandexOAuth, source] = await Promise.all([
    startGoogleOAuthFake(),
    startYandexOAuthFake(),
    startSourceServer(),
  ]);
});
afterAll(() => Promise.all([googleOAuth.close(), yandexOAuth.close(), source.close()]));

async function until<T>(fn: () => T | undefined | false, what: string | (() => string), ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Source files of pseudo-random bytes, as plan items without md5 (like a gallery listing). */
function files(prefix: string, sizes: number[]): Array<CopyPlanItem & { md5: string }> {
  return sizes.map((size, i) => {
    const path = `/${prefix}/f-${i}.bin`;
    const sums = source.addGenerated(path, size);
    return {
      key: `${prefix}-${i}`,
      relPath: `${prefix}/f-${i}.bin`,
      sourceUrl: source.urlOf(path),
      size,
      crc32: sums.crc32,
      // For the test's own checks only: stripped from the stored plan.
      md5: sums.md5,
    };
  });
}

interface Run {
  stack: PowerCutStack;
  drive: DriveFake;
  yandex: YandexDiskFake;
  start(items: CopyPlanItem[], destination: DestinationSpec): Promise<{ plan: PlanRef; workflowId: string }>;
  result(workflowId: string): Promise<CopySummary>;
  close(): Promise<void>;
}

async function startRun(): Promise<Run> {
  // Only whole chunks count at this Drive: what a cut chunk had delivered is sent again.
  const drive = await startDriveFake({ oauth: googleOAuth, keepPartialChunks: false });
  const yandex = await startYandexDiskFake({ oauth: yandexOAuth, operationDelayMs: 50 });
  const taskQueue = uniqueTaskQueue('power-cut');
  const stack = await startPowerCutStack({
    GOOGLE_CLIENT_ID: googleOAuth.clientId,
    GOOGLE_CLIENT_SECRET: googleOAuth.clientSecret,
    GOOGLE_TOKEN_URL: googleOAuth.tokenUrl,
    GOOGLE_API_URL: drive.url,
    YANDEX_OAUTH_URL: yandexOAuth.url,
    YANDEX_DISK_API_URL: yandex.url,
    DRIVE_RESUMABLE_CUTOFF: String(MiB),
    DRIVE_CHUNK_SIZE: String(CHUNK),
    COPY_SMALL_FILE_BYTES: String(MiB - 1),
    COPY_BATCH_FILES: '12',
    COPY_TEST_TASK_QUEUE: taskQueue,
  });
  const pool = createPool(stack.databaseUrl);
  return {
    stack,
    drive,
    yandex,
    async start(items, destination) {
      const plan = await new PlanStore(pool).save(
        `power-cut-${randomUUID()}`,
        items.map(({ md5: _md5, ...item }) => item),
      );
      const workflowId = `power-cut-${randomUUID()}`;
      await (
        await stack.client()
      ).workflow.start(copyToCloud, {
        taskQueue,
        workflowId,
        args: [
          {
            plan,
            destination,
            // 10 s: the SDK would send the session-bearing heartbeat 5 s after the activity started at
            // the earliest (the worker's throttle); the cut comes well before that.
            options: { heartbeatTimeoutSeconds: 10, allowPrivateNetwork: true, concurrency: 4 },
          },
        ],
      });
      return { plan, workflowId };
    },
    async result(workflowId) {
      return (await stack.client()).workflow.getHandle(workflowId).result() as Promise<CopySummary>;
    },
    async close() {
      await pool.end();
      await stack.stop();
      await Promise.all([drive.close(), yandex.close()]);
    },
  };
}

const driveSpec = (rootFolder: string) => cloudSpecs(googleOAuth, yandexOAuth).driveSpec(rootFolder);
const yandexSpec = (rootFolder: string) => cloudSpecs(googleOAuth, yandexOAuth).yandexSpec(rootFolder);

/** Cuts the power, brings the stack back, and returns how long after `since` the cut came. */
async function powerCut(run: Run, since: number): Promise<number> {
  const at = Date.now();
  await run.stack.cut();
  await run.stack.restart();
  return at - since;
}

const byName = <T extends { name?: string }>(list: T[], name: string) => list.filter((x) => x.name === name);
const contentLength = (n: number) => (req: { headers: Record<string, unknown> }) =>
  req.headers['content-length'] === String(n);

describe('a power cut while files are uploading', () => {
  it(
    'Drive finishes every interrupted session in place; Yandex adopts a delivered PUT and restarts a cut one once',
    { timeout: 240_000 },
    async () => {
      const run = await startRun();
      try {
        const { drive, yandex } = run;
        const big = files('drive-big', [8 * MiB, 8 * MiB + 123, 7 * MiB + 5]);
        // Larger than the loopback's socket buffers: the cut PUT cannot have been delivered whole.
        const [delivered, cut] = files('yandex-big', [3 * MiB + 7, 24 * MiB + 11]);
        // Every Drive upload request slowed to 1.5 s (as the independent check does); Yandex: one PUT is
        // stored in full but its answer held back, the other crawls, so the cut lands mid-body.
        drive.slowUploads(1500);
        yandex.faults.add({
          method: 'PUT',
          path: '/upload-target/',
          when: contentLength(delivered!.size!),
          fault: { kind: 'holdAnswer', ms: 120_000 },
        });
        yandex.faults.add({
          method: 'PUT',
          path: '/upload-target/',
          when: contentLength(cut!.size!),
          fault: { kind: 'slowBody', bytesPerSec: 512 * KiB },
        });
        const d = await run.start(big, driveSpec('Power cut'));
        const y = await run.start([delivered!, cut!], yandexSpec('Power cut'));

        const pathOf = (i: CopyPlanItem) => `disk:/Power cut/${i.relPath}`;
        const chunkSent = (id: string) => drive.log.some((e) => e.method === 'PUT' && e.query.upload_id === id);
        await until(() => {
          const sessions = drive.sessions();
          const ups = yandex.uploads();
          return (
            sessions.length === 3 &&
            sessions.every((s) => chunkSent(s.id)) &&
            ups.some((u) => u.path === pathOf(delivered!) && u.stored) &&
            ups.some((u) => u.path === pathOf(cut!) && u.bytesIn > 0 && !u.stored)
          );
        }, 'a chunk in flight in each of three Drive sessions, one Yandex PUT stored and one mid-body');
        const before = new Map(drive.sessions().map((s) => [s.id, s.bytesIn]));
        const newest = Math.max(...drive.sessions().map((s) => s.createdAt));
        const ages = drive.sessions().map((s) => Date.now() - s.createdAt);
        const afterCreation = await powerCut(run, newest);
        expect(afterCreation).toBeLessThan(2000);

        const [driveSummary, yandexSummary] = await Promise.all([run.result(d.workflowId), run.result(y.workflowId)]);
        expect(driveSummary).toMatchObject({ total: 3, copied: 3, failed: 0 });
        expect(yandexSummary).toMatchObject({ total: 2, copied: 2, failed: 0 });

        // Drive: still the same three sessions, each finished; at most one chunk per file sent again.
        const sessions = drive.sessions();
        expect(sessions).toHaveLength(3);
        const resent: number[] = [];
        for (const f of big) {
          const name = f.relPath.split('/').pop()!;
          const [session] = byName(sessions, name);
          expect(session?.fileId, `${name}: its session finished`).toBeDefined();
          resent.push(session!.bytesIn - f.size!);
          expect(session!.bytesIn - f.size!).toBeLessThanOrEqual(CHUNK);
          const copies = drive.findByName(name).filter((c) => !c.trashed);
          expect(copies.map((c) => c.md5)).toEqual([f.md5]);
        }
        const sentBefore = [...before.values()].reduce((a, b) => a + b, 0);
        console.log(
          `power cut (Drive): ${sentBefore} bytes read by the fake at the cut (${ages.map((a) => `${a} ms`).join(', ')} ` +
            `after session creation; newest ${afterCreation} ms); sessions ${sessions.length} for 3 files; ` +
            `bytes re-sent per file: ${resent.join(', ')}`,
        );

        // Yandex: the delivered PUT adopted (never sent again), the cut one started over exactly once.
        const ups = yandex.uploads();
        const puts = (i: CopyPlanItem) => ups.filter((u) => u.path === pathOf(i));
        expect(puts(delivered!).map((u) => u.stored)).toEqual([true]);
        expect(puts(cut!).map((u) => u.stored)).toEqual([false, true]);
        for (const f of [delivered!, cut!]) {
          expect(yandex.node(pathOf(f))).toMatchObject({
            md5: f.md5,
            size: f.size,
            custom_properties: { ferry_key: f.key },
          });
        }
        const yandexFiles = yandex.nodes().filter((n) => n.type === 'file');
        expect(yandexFiles).toHaveLength(2);
        console.log(
          `power cut (Yandex): PUTs per file: delivered ${puts(delivered!).length}, cut ${puts(cut!).length}; ` +
            `re-sent: the cut file once (${cut!.size} bytes; its cut PUT had delivered ${puts(cut!)[0]!.bytesIn}), ` +
            `nothing of the delivered one`,
        );
      } catch (err) {
        console.error(run.stack.workerOutput());
        throw err;
      } finally {
        await run.close();
      }
    },
  );

  it('a batch of small files in flight: nothing is uploaded twice, to either cloud', { timeout: 240_000 }, async () => {
    const run = await startRun();
    try {
      const { drive, yandex } = run;
      const sizes = Array.from({ length: 12 }, (_, i) => 150 * KiB + i * 977);
      const driveFiles = files('drive-small', sizes);
      const yandexFiles = files('yandex-small', sizes);
      // Of the first uploads in flight: two stored but unanswered, one crawling (cut mid-body).
      const multipart = (_req: unknown, url: URL) => url.searchParams.get('uploadType') === 'multipart';
      drive.faults.add({
        method: 'POST',
        path: '/upload/drive/v3/files',
        when: multipart,
        times: 2,
        fault: { kind: 'holdAnswer', ms: 120_000 },
      });
      drive.faults.add({
        method: 'POST',
        path: '/upload/drive/v3/files',
        when: multipart,
        nth: 3,
        fault: { kind: 'slowBody', bytesPerSec: 16 * KiB },
      });
      yandex.faults.add({
        method: 'PUT',
        path: '/upload-target/',
        times: 2,
        fault: { kind: 'holdAnswer', ms: 120_000 },
      });
      yandex.faults.add({
        method: 'PUT',
        path: '/upload-target/',
        nth: 3,
        fault: { kind: 'slowBody', bytesPerSec: 16 * KiB },
      });
      const d = await run.start(driveFiles, driveSpec('Batch cut'));
      const y = await run.start(yandexFiles, yandexSpec('Batch cut'));

      await until(
        () => {
          const du = drive.simpleUploads();
          const yu = yandex.uploads();
          return (
            du.filter((u) => u.stored && !u.answered).length === 2 &&
            du.some((u) => !u.stored && u.bytesIn > 0) &&
            yu.filter((u) => u.stored && !u.answered).length === 2 &&
            yu.some((u) => !u.stored && u.bytesIn > 0)
          );
        },
        () =>
          `two stored-but-unanswered uploads and one mid-body on each cloud: ${JSON.stringify({ drive: drive.simpleUploads(), yandex: yandex.uploads() })}`,
      );
      const firstUpload = Math.min(drive.simpleUploads()[0]!.at, yandex.uploads()[0]!.at);
      const afterStart = await powerCut(run, firstUpload);

      const [driveSummary, yandexSummary] = await Promise.all([run.result(d.workflowId), run.result(y.workflowId)]);
      expect(driveSummary).toMatchObject({ total: 12, failed: 0 });
      expect(yandexSummary).toMatchObject({ total: 12, failed: 0 });
      expect(driveSummary.copied + driveSummary.alreadyThere).toBe(12);
      expect(yandexSummary.copied + yandexSummary.alreadyThere).toBe(12);

      const driveStored = drive.simpleUploads().filter((u) => u.stored);
      const yandexStored = yandex.uploads().filter((u) => u.stored);
      for (const f of driveFiles) {
        const name = f.relPath.split('/').pop()!;
        expect(byName(driveStored, name), `${name} uploaded once`).toHaveLength(1);
        expect(drive.findByName(name).map((c) => c.md5)).toEqual([f.md5]);
      }
      for (const f of yandexFiles) {
        const path = `disk:/Batch cut/${f.relPath}`;
        expect(
          yandexStored.filter((u) => u.path === path),
          `${path} uploaded once`,
        ).toHaveLength(1);
        expect(yandex.node(path)).toMatchObject({ md5: f.md5, custom_properties: { ferry_key: f.key } });
      }
      // Nothing else: no suffixed second copy of anything.
      expect(drive.files().filter((f) => f.mimeType !== 'application/vnd.google-apps.folder')).toHaveLength(12);
      expect(yandex.nodes().filter((n) => n.type === 'file')).toHaveLength(12);
      const total = sizes.reduce((a, b) => a + b, 0);
      const driveIn = drive.simpleUploads().reduce((a, u) => a + u.bytesIn, 0);
      const yandexIn = yandex.uploads().reduce((a, u) => a + u.bytesIn, 0);
      console.log(
        `power cut (batches, ${afterStart} ms after the first upload): bytes received / files' bytes: ` +
          `Drive ${driveIn} / ${total}, Yandex ${yandexIn} / ${total}; uploads: Drive ${drive.simpleUploads().length}, ` +
          `Yandex ${yandex.uploads().length} for 12 files each`,
      );
    } catch (err) {
      console.error(run.stack.workerOutput());
      throw err;
    } finally {
      await run.close();
    }
  });
});
