// The crash test: a worker process SIGKILLed in the middle of a large resumable Drive upload, then a
// fresh worker process. The upload resumes from the session's confirmed offset (fewer bytes re-sent
// than the file has), completes, verifies, and leaves exactly one copy.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { PlanStore } from '../../activities/copy/plan-store';
import { createPool } from '../../lib/db';
import { copyToCloud } from '../../workflows';
import { startDriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake } from '../../fakes/google-oauth';
import { startSourceServer } from '../../fakes/source-server';
import { testClient, uniqueTaskQueue } from '../helpers/temporal';

const pool = createPool(inject('databaseUrl'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await pool.end();
});

const MiB = 1024 * 1024;

async function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/copy/worker-entry.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('worker ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
  });
  return child;
}

async function until<T>(fn: () => T | undefined, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('copyToCloud survives a killed worker', () => {
  it('resumes a resumable Drive upload from the confirmed offset after SIGKILL', { timeout: 120_000 }, async () => {
    const oauth = await startGoogleOAuthFake();
    const drive = await startDriveFake({ oauth });
    const source = await startSourceServer();
    try {
      const size = 40 * MiB;
      const file = source.addGenerated('/big.bin', size);
      // The first read is slow, so the kill lands mid-file; the resumed read runs at full speed.
      source.injectFault({ kind: 'slow', bytesPerSec: 4 * MiB }, { path: '/big.bin' });
      const tokens = oauth.issueTokens();
      const taskQueue = uniqueTaskQueue('copy-crash');
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        FERRY_DATA_DIR: '.data/test',
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DATABASE_URL: inject('databaseUrl'),
        FERRY_ENCRYPTION_KEY: inject('encryptionKey'),
        GOOGLE_CLIENT_ID: oauth.clientId,
        GOOGLE_CLIENT_SECRET: oauth.clientSecret,
        GOOGLE_TOKEN_URL: oauth.tokenUrl,
        GOOGLE_API_URL: drive.url,
        DRIVE_RESUMABLE_CUTOFF: String(MiB),
        DRIVE_CHUNK_SIZE: String(MiB),
        // The source fake listens on loopback: the worker's own config allows it (a workflow input cannot).
        FERRY_ALLOW_PRIVATE_NETWORK: '1',
        GALLERY_FILE_HOSTS: '127.0.0.1',
        COPY_TEST_TASK_QUEUE: taskQueue,
        COPY_TEST_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      };
      const plan = await new PlanStore(pool).save(`crash-${randomUUID()}`, [
        {
          key: 'big-1',
          relPath: 'Crash test/big.bin',
          sourceUrl: source.urlOf('/big.bin'),
          size,
          md5: file.md5,
          crc32: file.crc32,
        },
      ]);

      const first = await startWorker(env);
      const client = await testClient();
      const handle = await client.workflow.start(copyToCloud, {
        taskQueue,
        workflowId: `copy-crash-${randomUUID()}`,
        args: [
          {
            plan,
            destination: {
              cloud: 'google_drive',
              rootFolder: 'Ferry',
              credentials: { cloud: 'google_drive', refreshToken: tokens.refreshToken },
            },
            options: { heartbeatTimeoutSeconds: 3, allowPrivateNetwork: true },
          },
        ],
      });

      const session = await until(
        () => drive.sessions().find((s) => s.received >= 12 * MiB),
        'the upload to pass 12 MiB',
      );
      first.kill('SIGKILL');
      await once(first, 'exit');
      const sentBeforeKill = drive.bytesReceived(session.id);
      expect(sentBeforeKill).toBeLessThan(size / 2);

      await startWorker(env);
      const summary = await handle.result();
      expect(summary).toMatchObject({ total: 1, copied: 1, failed: 0, bytesDone: size });

      // One session, resumed: the new worker sent the rest, not the whole file again.
      expect(drive.sessions()).toHaveLength(1);
      const resent = drive.bytesReceived(session.id) - sentBeforeKill;
      console.log(`crash-resume: ${sentBeforeKill} bytes sent before SIGKILL, ${resent} after, file ${size}`);
      expect(resent).toBeGreaterThan(0);
      expect(resent).toBeLessThan(size - 8 * MiB);
      const copies = drive.findByName('big.bin').filter((f) => !f.trashed);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({ size, md5: file.md5 });
      const report = await new PlanStore(pool).results(plan.planId, 'google_drive:Ferry', { offset: 0, limit: 10 });
      expect(report).toEqual([
        expect.objectContaining({ key: 'big-1', status: 'copied', md5: file.md5, crc32: file.crc32, bytes: size }),
      ]);
    } finally {
      await Promise.all([drive.close(), oauth.close(), source.close()]);
    }
  });
});
