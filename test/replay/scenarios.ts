// Workflow runs whose histories test/replay/replay.test.ts replays against today's workflow code. The
// activities are scripted (no clouds, no PostgreSQL): each run only has to walk the workflow through
// its paths — present items, batches, a batch's retries one by one, a file that fails for good, a batch
// that dies, a cancel; and every outcome of a gallery archive request.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client } from '@temporalio/client';
// CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import type { PreparedPlan } from '../../activities/gallery/types';
import type { CopyBatchInput, CopyFileInput, FindPresentInput, ResolvedCopyOptions } from '../../activities/copy/types';
import { authorizeUpdate, statusQuery, workflowIdOf, type CloudArchiveInput } from '../../lib/jobs/cloud-archive';
import type { CopyItemResult, CopyOptions, CopyPlanItem, DestinationSpec, PlanRef } from '../../lib/jobs/copy-to-cloud';
import type { cloudArchive, copyToCloud } from '../../workflows';

export const HISTORIES_DIR = fileURLToPath(new URL('./histories', import.meta.url));

/** The histories' payloads are encrypted as Ferry's always are, with this test-only key. */
export const REPLAY_KEY = Buffer.alloc(32, 'replay-histories');

const { History } = proto.temporal.api.history.v1;
type History = proto.temporal.api.history.v1.History;

/**
 * A scenario's histories in one file: each a workflow id, then its History as protobuf, both prefixed by
 * their length. (Binary: the SDK's JSON conversion trips over two copies of protobufjs in node_modules.)
 */
export function encodeHistories(histories: Array<{ workflowId: string; history: object }>): Buffer {
  const parts = histories.flatMap(({ workflowId, history }) => [
    Buffer.from(workflowId),
    Buffer.from(History.encode(History.fromObject(history)).finish()),
  ]);
  return Buffer.concat(parts.flatMap((p) => [lengthOf(p), p]));
}

export function decodeHistories(file: Buffer): Array<{ workflowId: string; history: History }> {
  const parts: Buffer[] = [];
  for (let at = 0; at < file.length; at += 4 + file.readUInt32BE(at)) {
    parts.push(file.subarray(at + 4, at + 4 + file.readUInt32BE(at)));
  }
  const histories = [];
  for (let i = 0; i < parts.length; i += 2) {
    histories.push({ workflowId: parts[i]!.toString(), history: History.decode(parts[i + 1]!) });
  }
  return histories;
}

const lengthOf = (b: Buffer) => {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return n;
};

/** The plan every run copies: what happens to an item is written in its key. */
const KINDS = [
  'present', 'small', 'small-retry', 'small-retry', 'large', 'small-fail',
  'small', 'unsized', 'large-fail', 'small', 'present-renamed', 'small',
  'small-die', 'small-die',
] as const; // prettier-ignore

const itemAt = (seq: number): CopyPlanItem => {
  const kind = KINDS[seq]!;
  const size = kind === 'unsized' ? undefined : kind.startsWith('large') ? 5000 : 100;
  return { key: `k${seq}-${kind}`, relPath: `d/f${seq}.jpg`, sourceUrl: `https://src.test/${seq}`, size };
};

const hangingItemAt = (seq: number): CopyPlanItem => ({ ...itemAt(seq), key: `k${seq}-hang` });

export const PLAN: PlanRef = { planId: 'replay-plan', total: KINDS.length, totalBytes: 0 };
const HANGING_PLAN: PlanRef = { ...PLAN, planId: 'replay-hang' };
const copied = (item: CopyPlanItem): CopyItemResult => ({
  key: item.key,
  relPath: item.relPath,
  status: 'copied',
  bytes: item.size ?? 7,
});

/** The copy engine's activities, scripted by the items' keys; `copyFile` of a `*-hang` item waits for a cancel. */
export function copyActivities() {
  return {
    async resolveCopyOptions(o: CopyOptions): Promise<ResolvedCopyOptions> {
      return { concurrency: 4, maxAttempts: 3, pageSize: 6, batchFiles: 3, smallFileBytes: 1000, ...o };
    },
    async readPlanPage(planId: string, offset: number, limit: number): Promise<CopyPlanItem[]> {
      const item = planId === HANGING_PLAN.planId ? hangingItemAt : itemAt;
      return Array.from({ length: Math.min(limit, KINDS.length - offset) }, (_, i) => item(offset + i));
    },
    async findPresent(input: FindPresentInput) {
      const present = input.items.filter((i) => i.key.includes('present'));
      return {
        alreadyThere: present.length,
        bytes: present.reduce((n, i) => n + (i.size ?? 0), 0),
        renamed: present
          .filter((i) => i.key.includes('renamed'))
          .map((i) => ({ ...copied(i), status: 'already_there' as const, renamedFrom: 'd/old.jpg' })),
        missing: input.items.flatMap((item, index) => (item.key.includes('present') ? [] : [index])),
      };
    },
    async copyBatch(input: CopyBatchInput) {
      if (input.items.some(({ item }) => item.key.includes('die'))) throw new Error('the batch worker died');
      const outcome = { results: [] as Array<{ seq: number; result: CopyItemResult }>, retry: [] as object[] };
      for (const { seq, item } of input.items) {
        if (item.key.includes('retry')) {
          outcome.retry.push({ seq, error: { type: 'RateLimited', message: 'slow down' }, retryAfterMs: 1500 });
        } else if (item.key.includes('fail')) {
          const error = { type: 'SourceNotFound', message: 'gone' };
          outcome.results.push({ seq, result: { ...copied(item), status: 'failed', bytes: 0, error } });
        } else outcome.results.push({ seq, result: copied(item) });
      }
      return outcome;
    },
    async copyFile(input: CopyFileInput): Promise<CopyItemResult> {
      if (input.item.key.includes('fail')) throw ApplicationFailure.retryable('the cloud said 500', 'Http500');
      if (input.item.key.includes('hang')) {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(200);
        }
      }
      return copied(input.item);
    },
    async recordCopyResult(): Promise<void> {},
  };
}

const destination: DestinationSpec = {
  cloud: 'yadisk',
  rootFolder: 'Replay',
  credentials: { cloud: 'yadisk', token: 't' },
};

/** The gallery job's activities; the archive URL says what the listing and the done call do. */
export function galleryActivities() {
  return {
    async exchangeAuthorizationCode(input: { code: string }) {
      if (input.code === 'bad') throw ApplicationFailure.nonRetryable('invalid_grant', 'AuthorizationDenied');
      return destination.credentials;
    },
    async prepareArchivePlan(input: { archiveUrl: string }): Promise<PreparedPlan> {
      if (input.archiveUrl.includes('listing-fails')) throw ApplicationFailure.nonRetryable('404', 'SourceNotFound');
      return {
        plan: PLAN,
        // A root folder the copy refuses (not a string): the child copy fails on its input.
        rootFolder: (input.archiveUrl.includes('copy-fails') ? 7 : 'Gallery') as string,
        rejected: [{ name: 'bad.jpg', reason: 'size is not a number' }],
        rejectedCount: 1,
        rejectedBytes: 10,
        allowedSourceHosts: ['src.test'],
        allowPrivateNetwork: false,
      };
    },
    async revokeCloudAccess(): Promise<object> {
      return { revoked: true };
    },
    async notifyGalleryDone(body: { archive_url: string }): Promise<void> {
      if (body.archive_url.includes('notify-fails')) throw new Error('the platform answered 503');
    },
  };
}

export interface Recorded {
  name: string;
  /** The workflows whose histories the scenario leaves (the parent first). */
  workflowIds: string[];
}

type Run = (client: Client, taskQueue: string) => Promise<Recorded>;

const settle = (p: Promise<unknown>) =>
  p.catch((err: unknown) => {
    if (!(err instanceof WorkflowFailedError)) throw err;
  });

const pageIds = (workflowId: string) => [0, 6, 12].map((o) => `${workflowId}/page-${o}`);

async function copyAll(client: Client, taskQueue: string): Promise<Recorded> {
  const workflowId = `replay-copy-${randomUUID()}`;
  await client.workflow.execute<typeof copyToCloud>('copyToCloud', {
    taskQueue,
    workflowId,
    args: [{ plan: PLAN, destination }],
  });
  return { name: 'copy-to-cloud', workflowIds: [workflowId, ...pageIds(workflowId)] };
}

async function copyCancelled(client: Client, taskQueue: string): Promise<Recorded> {
  const workflowId = `replay-cancel-${randomUUID()}`;
  const handle = await client.workflow.start<typeof copyToCloud>('copyToCloud', {
    taskQueue,
    workflowId,
    args: [{ plan: HANGING_PLAN, destination, options: { batchFiles: 1 } }],
  });
  // Cancelled while the first page's copies run (the page's `hang` items never finish by themselves).
  const page = client.workflow.getHandle(`${workflowId}/page-0`);
  for (let i = 0; ; i++) {
    const pending = await page.describe().then(
      (d) => d.raw.pendingActivities?.length ?? 0,
      () => 0,
    );
    if (pending >= 4) break;
    if (i > 200) throw new Error('the page never ran its copies');
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.cancel();
  await settle(handle.result());
  return { name: 'copy-cancelled', workflowIds: [workflowId, `${workflowId}/page-0`] };
}

const archiveInput = (archiveUrl: string, authTimeoutMs = 60_000): CloudArchiveInput => ({
  requestId: randomUUID(),
  request: {
    redirect_success_link: 'https://gallery.test/ok',
    redirect_fail_link: 'https://gallery.test/fail',
    archive_url: archiveUrl,
    gallery_name: 'Replay',
    archive_type: 'webs',
    cloud_type: 'yadisk',
  },
  codeVerifier: 'verifier',
  redirectUri: 'https://ferry.test/oauth/yandex/callback',
  createdAt: new Date().toISOString(),
  settings: { authTimeoutMs, copyMaxAttempts: 3, doneRetry: { initialMs: 200, maxMs: 400, deadlineMs: 1500 } },
});

/** A gallery archive request: consent with `callback` (none: it expires), then whatever the URL scripts. */
function archive(name: string, archiveUrl: string, callback?: { code?: string; error?: string }): Run {
  return async (client, taskQueue) => {
    const input = archiveInput(archiveUrl, callback ? 60_000 : 1500);
    const workflowId = workflowIdOf(input.requestId);
    const handle = await client.workflow.start<typeof cloudArchive>('cloudArchive', {
      taskQueue,
      workflowId,
      args: [input],
    });
    // The callback after the workflow's first task, as a user's consent comes: the consent timer is in every history.
    await handle.query(statusQuery);
    if (callback) await handle.executeUpdate(authorizeUpdate, { args: [{ provider: 'yandex', ...callback }] });
    await settle(handle.result());
    const copyId = `${workflowId}-copy`;
    const copied = callback?.code === 'good' && !archiveUrl.includes('listing-fails');
    if (!copied) return { name, workflowIds: [workflowId] };
    const pages = archiveUrl.includes('copy-fails') ? [] : pageIds(copyId);
    return { name, workflowIds: [workflowId, copyId, ...pages] };
  };
}

/** Every scenario, in the order they are recorded. */
export const SCENARIOS: Run[] = [
  copyAll,
  copyCancelled,
  archive('archive-done', 'https://gallery.test/a.json', { code: 'good' }),
  archive('archive-expired', 'https://gallery.test/a.json'),
  archive('archive-denied', 'https://gallery.test/a.json', { error: 'access_denied' }),
  archive('archive-bad-code', 'https://gallery.test/a.json', { code: 'bad' }),
  archive('archive-listing-fails', 'https://gallery.test/listing-fails.json', { code: 'good' }),
  archive('archive-copy-fails', 'https://gallery.test/copy-fails.json', { code: 'good' }),
  archive('archive-notify-fails', 'https://gallery.test/notify-fails.json', { code: 'good' }),
];
