// The copy benchmarks' baselines, alone in their process:
//   naive — what the seeds' scripts did: GET each file whole, then one multipart POST, one at a time;
//   copy  — a plain concurrent copier: a promise pool of `concurrency` files at once over node:http
//           (bench/plain-clouds.ts: the fewest requests, every file verified by the cloud's md5), in
//           memory, no orchestration and no durability — what moving the files costs without
//           Temporal and PostgreSQL;
//   gallery — `copy` of a gallery, its listing read from the platform first, as Ferry reads it.
import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { httpAgent, plainCloud, type PlainItem } from './plain-clouds';
import { serveRpc } from './rpc-serve';

interface CopyJob {
  cloud: 'drive' | 'yandex';
  apiUrl: string;
  token: string;
  rootFolder: string;
  concurrency: number;
  items: PlainItem[];
}

interface CopyResult {
  ms: number;
  copied: number;
  alreadyThere: number;
  /** [ms since start, files done], every 250 ms and at the end. */
  progress: Array<[number, number]>;
}

const get = (url: string, agent: ReturnType<typeof httpAgent>) =>
  new Promise<IncomingMessage>((ok, fail) => {
    request(url, { agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(new Error(`GET ${url}: HTTP ${res.statusCode}`));
      }
      ok(res);
    })
      .on('error', fail)
      .end();
  });

async function pool<T>(items: T[], concurrency: number, each: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await each(items[next++]!);
  });
  await Promise.all(lanes);
}

async function copy(job: CopyJob): Promise<CopyResult> {
  const agent = httpAgent(job.concurrency * 2);
  const cloud = plainCloud(job.cloud, job.apiUrl, job.token, job.rootFolder, agent);
  const start = performance.now();
  const progress: Array<[number, number]> = [];
  let copied = 0;
  let alreadyThere = 0;
  const tick = setInterval(() => progress.push([Math.round(performance.now() - start), copied + alreadyThere]), 250);
  try {
    await pool(job.items, job.concurrency, async (item) => {
      const dir = item.relPath.split('/').slice(0, -1).join('/');
      const name = item.relPath.split('/').at(-1)!;
      const folder = await cloud.folder(dir);
      if ((await cloud.present(folder)).has(name)) return void alreadyThere++;
      await cloud.upload(folder, name, await get(item.sourceUrl, agent));
      copied++;
    });
  } finally {
    clearInterval(tick);
    agent.destroy();
  }
  const ms = performance.now() - start;
  progress.push([Math.round(ms), copied + alreadyThere]);
  return { ms, copied, alreadyThere, progress };
}

const methods = {
  /** The seeds' way into Drive's root: whole file in memory, then one multipart POST, in turn (fetch). */
  async naive(job: { apiUrl: string; token: string; items: PlainItem[] }): Promise<number> {
    const t = performance.now();
    for (const item of job.items) {
      const bytes = Buffer.from(await (await fetch(item.sourceUrl)).arrayBuffer());
      const boundary = `b${randomUUID()}`;
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ name: item.relPath.replace(/\//g, '_') })}\r\n--${boundary}\r\ncontent-type: image/jpeg\r\n\r\n`,
        ),
        bytes,
        Buffer.from(`\r\n--${boundary}--`),
      ]);
      const res = await fetch(`${job.apiUrl}/upload/drive/v3/files?uploadType=multipart`, {
        method: 'POST',
        headers: { authorization: `Bearer ${job.token}`, 'content-type': `multipart/related; boundary=${boundary}` },
        body,
      });
      if (!res.ok) throw new Error(`naive upload: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
    return performance.now() - t;
  },

  copy,

  /** A gallery: its listing (GET <listingUrl>, entries {name, url}) read first, inside the timing. */
  async gallery(job: Omit<CopyJob, 'items'> & { listingUrl: string }): Promise<CopyResult> {
    const t = performance.now();
    const res = await fetch(job.listingUrl);
    if (!res.ok) throw new Error(`gallery listing: HTTP ${res.status}`);
    const entries = (await res.json()) as Array<{ name: string; url: string }>;
    const result = await copy({ ...job, items: entries.map((e) => ({ relPath: e.name, sourceUrl: e.url })) });
    const listingMs = performance.now() - t - result.ms;
    return {
      ...result,
      ms: result.ms + listingMs,
      progress: result.progress.map(([ms, done]) => [Math.round(ms + listingMs), done]),
    };
  },
};

export type PlainMethods = typeof methods;
serveRpc(methods, 'plain copier ready');
