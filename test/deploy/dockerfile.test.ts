// The image, checked without a Docker engine: the Dockerfile's stages and runtime user, and the build
// context that .dockerignore leaves (Docker's own matching rules, via @balena/dockerignore): everything
// the two entry points load is in it, and no secret, local state or test is.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ignore from '@balena/dockerignore';
import { describe, expect, it } from 'vitest';
import { WORKER_NATIVE_ENV, WORKER_NODE_FLAGS } from '../../workers/node-flags';
import { readRepoFile, repoPath } from './tools';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = instructions(readRepoFile('Dockerfile'));
const runtimeStage = dockerfile.slice(dockerfile.findLastIndex((i) => i.op === 'FROM'));

function contextFiles(dir = repoPath('.')): string[] {
  const root = repoPath('.');
  const skip = new Set(['node_modules', '.git', '.tools', '.data']); // large; their exclusion is checked below
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return skip.has(e.name) ? [] : contextFiles(full);
    return [relative(root, full)];
  });
}

describe('Dockerfile', () => {
  it('is multi-stage on Node 24 slim, installs production dependencies from the lock file', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const arg = dockerfile.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toBe('NODE_IMAGE=node:24-slim');
    for (const f of froms) expect(f.args).toMatch(/^(\$\{NODE_IMAGE\}|deps) AS \w+$/);
    const install = dockerfile.find((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    expect(install?.args).toContain('npm ci --omit=dev');
    expect(runtimeStage.some((i) => i.op === 'COPY' && i.args.startsWith('--from=deps /app/node_modules'))).toBe(true);
  });

  it('runs as a non-root user, production mode, with the API as the default entry point', () => {
    const users = runtimeStage.filter((i) => i.op === 'USER');
    expect(users.at(-1)?.args).toBe('node');
    const env = runtimeStage
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toContain('NODE_ENV=production');
    expect(runtimeStage.find((i) => i.op === 'CMD')?.args).toBe('["node", "dist/api.mjs"]');
  });

  it('compiles both entry points and the workflow bundle in a build stage, and runs them from dist/', () => {
    const build = dockerfile.slice(dockerfile.findIndex((i) => i.op === 'FROM' && i.args.endsWith('AS build')));
    expect(build.some((i) => i.op === 'RUN' && i.args === 'node --import tsx scripts/build.ts')).toBe(true);
    expect(runtimeStage.some((i) => i.op === 'COPY' && i.args === '--from=build /app/dist ./dist')).toBe(true);
  });

  it('runs Node with the flags the benchmarks measured the worker with', () => {
    const env = runtimeStage
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toContain(`NODE_OPTIONS="${WORKER_NODE_FLAGS.join(' ')}"`);
    for (const [name, value] of Object.entries(WORKER_NATIVE_ENV)) expect(env).toContain(`${name}=${value}`);
  });

  it('bakes in no secrets', () => {
    for (const i of dockerfile.filter((x) => x.op === 'ENV' || x.op === 'ARG')) {
      expect(i.args).not.toMatch(/(KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL|SMTP_URL)\s*=/);
    }
  });
});

describe('.dockerignore', () => {
  const ig = ignore().add(readRepoFile('.dockerignore'));
  const files = contextFiles();
  const sent = files.filter((f) => !ig.ignores(f));

  it('sends what the API and the worker load', () => {
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'api/main.ts', 'workers/main.ts']) {
      expect(sent, f).toContain(f);
    }
    for (const dir of ['api/', 'workers/', 'workflows/', 'activities/', 'client/', 'lib/', 'db/migrations/']) {
      const all = files.filter((f) => f.startsWith(dir) && !f.endsWith('.md'));
      expect(all.length, dir).toBeGreaterThan(0);
      expect(
        all.filter((f) => ig.ignores(f)),
        `${dir} files left out of the image`,
      ).toEqual([]);
    }
  });

  it('leaves out secrets, local state, installed modules and tests', () => {
    for (const f of [
      '.env',
      '.env.local',
      'client_secrets.json',
      'tls/client.pem',
      'node_modules/x/index.js',
      '.tools/bin/temporal',
      '.data/encryption.key',
      'logs/2026-01-01.log',
      'test/deploy/k8s.test.ts',
      'fakes/google-drive.ts',
      'dev/embedded-postgres.ts',
      'bench/harness.ts',
      '.git/HEAD',
      'k8s/base/kustomization.yaml',
    ]) {
      expect(ig.ignores(f), f).toBe(true);
    }
    expect(sent.filter((f) => f.startsWith('test/'))).toEqual([]);
  });
});
