// Where the embedded PostgreSQL's binaries and data directory live. PostgreSQL refuses to run as root, so
// as root it runs as the `postgres` user, which cannot enter a clone under a 0700 directory (root's home,
// `mktemp -d`): spawning initdb from there fails with EACCES. In that case the binaries are staged (hard
// links, else copies) under a root-owned directory in /var/tmp, and the data directory moves there too.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The user PostgreSQL runs as; `undefined` when it runs as the current (non-root) user. */
export interface RunAs {
  uid: number;
  gid: number;
}

// /var/tmp survives reboots (a moved data directory must), and every user can enter it.
const STAGE_ROOT = join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'ferry-embedded-postgres');

const cannotReach = (path: string) =>
  new Error(
    `the postgres user cannot reach ${path}: set DATABASE_URL to a PostgreSQL server, or run Ferry from a directory every user can enter`,
  );

export function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  }
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Asks the kernel as that user, so modes, ACLs and every parent directory count. */
function canEnter(user: RunAs, dir: string): boolean {
  const probe = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'probe', dir], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    stdio: 'ignore',
  });
  return probe.status === 0;
}

/** The stage root must be root's alone: a predictable name in a shared directory may have been planted. */
function stageRoot(): string {
  mkdirSync(STAGE_ROOT, { recursive: true, mode: 0o755 });
  const st = lstatSync(STAGE_ROOT);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(`${STAGE_ROOT} is not a directory only root can write to: remove it and start again`);
  }
  if ((st.mode & 0o755) !== 0o755) chmodSync(STAGE_ROOT, 0o755);
  return STAGE_ROOT;
}

/** The binaries of the platform package `embedded-postgres` depends on, resolved from that package. */
async function packagedBinaries(): Promise<{ nativeDir: string; key: string }> {
  const embedded = createRequire(import.meta.url).resolve('embedded-postgres');
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const entry = createRequire(embedded).resolve(name);
  const { initdb } = (await import(pathToFileURL(entry).href)) as { initdb: string };
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: dirname(dirname(initdb)), key: `${platform()}-${arch()}-${pkg.version}` };
}

function placeFile(from: string, to: string) {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to); // another filesystem, or hard links refused
    chmodSync(to, statSync(from).mode & 0o777);
  }
}

/** Mirrors a tree; relative symlinks (lib/libpq.so.5 -> libpq.so.5.18) stay links inside the copy. */
function linkTree(from: string, to: string) {
  mkdirSync(to);
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink() && !isAbsolute(readlinkSync(source))) symlinkSync(readlinkSync(source), target);
    else placeFile(realpathSync(source), target);
  }
}

/** Staged once per version; concurrent starts each build a copy and the first rename wins. */
function staged(nativeDir: string, key: string): string {
  const target = join(stageRoot(), key);
  if (existsSync(target)) return target;
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    linkTree(nativeDir, partial);
    renameSync(partial, target);
  } catch (err) {
    if (!existsSync(target)) throw err;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return target;
}

// The package fixes missing execute bits the same way: some installs drop file modes.
function ensureExecutable(file: string) {
  const { mode } = statSync(file);
  if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
}

/** The directory holding initdb and postgres, one the server's user can execute from. */
export async function binDir(user: RunAs | undefined): Promise<string> {
  const { nativeDir, key } = await packagedBinaries();
  let dir = nativeDir;
  if (user && !canEnter(user, join(nativeDir, 'bin'))) {
    dir = staged(nativeDir, key);
    if (!canEnter(user, join(dir, 'bin'))) throw cannotReach(dir);
  }
  for (const bin of ['initdb', 'postgres']) ensureExecutable(join(dir, 'bin', bin));
  return join(dir, 'bin');
}

/** initdb creates the data directory itself, so the server's user must own its parent (and it, if there). */
function handOver(user: RunAs, dataDir: string) {
  chownSync(dirname(dataDir), user.uid, user.gid);
  if (existsSync(dataDir)) chownSync(dataDir, user.uid, user.gid);
}

/**
 * The data directory to use for `wanted`: itself when the server's user can reach it, else one of its
 * own under the stage root, the same for the same `wanted`, so the cluster persists across runs.
 */
export function dataDirFor(wanted: string, user: RunAs | undefined): string {
  mkdirSync(dirname(wanted), { recursive: true });
  if (!user) return wanted;
  handOver(user, wanted);
  if (canEnter(user, dirname(wanted))) return wanted;

  const parent = join(stageRoot(), `data-${createHash('sha256').update(wanted).digest('hex').slice(0, 12)}`);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const moved = join(parent, 'data');
  handOver(user, moved);
  if (!canEnter(user, parent)) throw cannotReach(parent);
  return moved;
}
