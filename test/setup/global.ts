// Global test setup: ONE real Temporal dev server and ONE real PostgreSQL for the whole run, and the
// workflow bundle built once. Test files get their addresses through vitest's provide/inject.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { FAILURE_CONVERTER_PATH } from '../../lib/codec';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { migrate } from '../../lib/migrate';
import { freePort } from '../../dev/ports';
import { FERRY_SEARCH_ATTRIBUTES } from '../../lib/search-attributes';
import { findTemporalCli } from '../../dev/temporal-cli';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/tracing';
import { startDevServer } from '../../dev/temporal-dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    workflowBundlePath: string;
    encryptionKey: string;
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject) {
  const cli = findTemporalCli();
  const { env, address: temporalAddress } = await startDevServer({ searchAttributes: FERRY_SEARCH_ATTRIBUTES });

  let databaseUrl = process.env.DATABASE_URL;
  let stopDb = async () => {};
  if (!databaseUrl) {
    // Under the temp directory, so the postgres user (as root) can own the data dir; when it cannot
    // reach it, the cluster lives elsewhere (dev/embedded-postgres-paths.ts) and is removed from there.
    const base = mkdtempSync(join(tmpdir(), 'ferry-test-pg-'));
    const db = await startEmbeddedPostgres({
      dataDir: join(base, 'data'),
      port: await freePort(),
      database: 'ferry_test',
    });
    databaseUrl = db.url;
    stopDb = async () => {
      await db.stop();
      rmSync(dirname(db.dataDir), { recursive: true, force: true });
      rmSync(base, { recursive: true, force: true });
    };
  }

  // Once for the run: test files then share the schema instead of racing to create it.
  await migrate(databaseUrl);

  const bundle = await bundleWorkflowCode({
    workflowsPath: resolve('test/fixtures/workflows.ts'),
    // As production bundles them (scripts/build.ts): every test runs with them, untraced unless it traces.
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const bundleDir = resolve('.data/test');
  mkdirSync(bundleDir, { recursive: true });
  const workflowBundlePath = join(bundleDir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporalAddress);
  project.provide('databaseUrl', databaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('encryptionKey', randomBytes(32).toString('base64'));
  project.provide('temporalCliPath', cli);

  return async () => {
    await env.teardown();
    await stopDb();
    rmSync(workflowBundlePath, { force: true });
  };
}
