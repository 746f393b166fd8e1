// Log retention: keeps the log files of the last LOG_RETENTION_DAYS UTC days (today included) and
// removes older ones whoever wrote them — this process, an earlier version, or the seed's script
// (its files were named `2024-10-08.txt`). A file dated by its name counts by that date; other
// *.log/*.txt files count by their modification time. Other files are never touched.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const DATED = /^(\d{4}-\d{2}-\d{2})[^/]*\.(log|txt)(\.gz)?$/;
const LOGLIKE = /\.(log|txt)(\.gz)?$/;
const DAY_MS = 86_400_000;

export async function pruneLogs(dir: string, keepDays: number, now = new Date()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const oldestKept = today - (keepDays - 1) * DAY_MS;
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const dated = DATED.exec(name);
    let day: number;
    if (dated) day = Date.parse(`${dated[1]}T00:00:00Z`);
    else if (LOGLIKE.test(name)) {
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      const m = info.mtime;
      day = Date.UTC(m.getUTCFullYear(), m.getUTCMonth(), m.getUTCDate());
    } else continue;
    if (Number.isNaN(day) || day >= oldestKept) continue;
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    removed.push(name);
  }
  return removed.sort();
}
