// The layers ESLint keeps (eslint.config.js, docs/architecture.md#the-layers): each folder's
// no-restricted-imports refuses what it must — lib/ importing job code, a workflow importing activity code
// or I/O, production code importing tests, fakes, benchmarks, scripts or dev tools, a fake importing Ferry —
// allows what it may, and the real tree obeys it. The blocks are the real config's own, run without type
// information so the whole tree lints in seconds (`npm run lint` runs them with the rest).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const RULE = '@typescript-eslint/no-restricted-imports';
const PRODUCTION = ['activities', 'workflows', 'workers', 'api', 'cli', 'client', 'lib'];
const DEVELOPMENT = ['test', 'fakes', 'bench', 'scripts', 'dev'];

let layerBlocks: Linter.Config[];
let eslint: ESLint;

beforeAll(async () => {
  const url = pathToFileURL(resolve(ROOT, 'eslint.config.js')).href;
  const { default: config } = (await import(url)) as { default: Linter.Config[] };
  layerBlocks = config.filter((c) => c.name?.startsWith('ferry/layers/'));
  const ignores = config.filter((c) => c.ignores && Object.keys(c).length === 1);
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      ...ignores,
      {
        linterOptions: { reportUnusedDisableDirectives: 'off' },
        files: ['**/*.{ts,js,cjs,mjs}'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { '@typescript-eslint': tseslint.plugin as unknown as ESLint.Plugin },
      },
      ...layerBlocks,
    ],
  });
});

/** The layer errors ESLint reports for `code` as if it were the file at `filePath`. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: resolve(ROOT, filePath) });
  const messages = result!.messages;
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('the layer rules', () => {
  it('are in the real config, one block per folder', () => {
    const folders = layerBlocks.map((b) => b.name!.replace('ferry/layers/', '')).sort();
    expect(folders).toEqual([...PRODUCTION, ...DEVELOPMENT.filter((f) => f !== 'test')].sort());
  });

  const refused: Array<[string, string, string]> = [
    ['lib/x.ts', "import { photoBackup } from '../workflows/photo-backup';", 'imports no job code'],
    ['lib/jobs/x.ts', "import type { CopyActivities } from '../../activities/copy/types';", 'imports no job code'],
    ['lib/x.ts', "import { describeBackup } from '../client/backup-status';", 'imports no job code'],
    ['lib/x.ts', "import { appRouter } from '../api/app';", 'imports no job code'],
    ['lib/x.ts', "export { runCli } from '../cli/main';", 'imports no job code'],
    ['workflows/x.ts', "import { createGalleryActivities } from '../activities/gallery';", 'no activity code'],
    ['workflows/x.ts', "import type { createGalleryActivities } from '../activities/gallery';", 'no activity code'],
    ['workflows/copy/x.ts', "import type { copyFile } from '../../activities/copy/copy-file';", 'no activity code'],
    ['workflows/x.ts', "import { EtlWindow } from '../activities/etl/types';", 'only the types of activities'],
    ['workflows/x.ts', "import { readFile } from 'node:fs';", 'deterministic'],
    ['workflows/x.ts', "import pg from 'pg';", 'deterministic'],
    ['workflows/x.ts', "import { describeBackup } from '../client/backup-status';", 'only lib/ and other workflows'],
    ['api/routes/x.ts', "import { freePort } from '../../dev/ports';", 'Production code imports no'],
    ['workers/x.ts', "import { startEmbeddedPostgres } from '../dev/embedded-postgres';", 'Production code imports no'],
    [
      'activities/copy/x.ts',
      "import { startDriveFake } from '../../fakes/google-drive';",
      'Production code imports no',
    ],
    ['fakes/x.ts', "import { loadConfig } from '../lib/config';", 'A fake imports only other fakes'],
    ['fakes/x.ts', "import { GalleryClient } from '../activities/gallery/client';", 'A fake imports only other fakes'],
    ['bench/x.ts', "import { testConfig } from '../test/helpers/config';", 'Only tests import test/'],
    ['scripts/x.ts', "import { testConfig } from '../test/helpers/config';", 'Only tests import test/'],
    ['dev/x.ts', "import { uniqueTaskQueue } from '../test/helpers/temporal';", 'Only tests import test/'],
  ];
  it.each(refused)('%s: refuses %s', async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each(PRODUCTION.flatMap((folder) => DEVELOPMENT.map((dev) => [folder, dev])))(
    '%s/ imports nothing of %s/',
    async (folder, dev) => {
      for (const file of [`${folder}/x.ts`, `${folder}/sub/x.ts`]) {
        const up = file.includes('/sub/') ? '../..' : '..';
        const errors = await layerErrors(file, `import { x } from '${up}/${dev}/x';`);
        expect(errors, file).toHaveLength(1);
        expect(errors[0]).toContain('Production code imports no');
      }
    },
  );

  const allowed: Array<[string, string]> = [
    ['workflows/x.ts', "import type { GalleryActivities } from '../activities/gallery/types';"],
    ['workflows/copy/x.ts', "import type { CopyActivities } from '../../activities/copy/types';"],
    ['workflows/x.ts', "import { type EtlActivities } from '../activities/etl/types';"],
    ['workflows/x.ts', "import { photoBackupProgressQuery } from '../lib/jobs/photo-backup';"],
    ['workflows/x.ts', "import { proxyActivities } from '@temporalio/workflow';"],
    ['lib/jobs/x.ts', "import type { ReportEntry } from '../photo-naming';"],
    ['api/routes/x.ts', "import { describeBackup } from '../../client/backup-status';"],
    ['workers/x.ts', "import { ensureEtlSchedule } from '../client/etl-schedule';"],
    ['cli/x.ts', "import { copyProgressQuery } from '../lib/jobs/copy-to-cloud';"],
    ['scripts/x.ts', "import { startEmbeddedPostgres } from '../dev/embedded-postgres';"],
    ['scripts/x.ts', "import { startVkFake } from '../fakes/vk';"],
    ['bench/x.ts', "import { startDriveFake } from '../fakes/google-drive';"],
    ['fakes/x.ts', "import { listen } from './http-kit';"],
    ['test/copy/x.ts', "import { startDriveFake } from '../../fakes/google-drive';"],
    ['test/copy/x.ts', "import { testConfig } from '../helpers/config';"],
  ];
  it.each(allowed)('%s: allows %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});

describe('the real tree', () => {
  it('keeps every layer rule', async () => {
    const results = await eslint.lintFiles(['.']);
    const errors = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.ruleId ?? 'fatal'}: ${m.message}`),
    );
    expect(results.length).toBeGreaterThan(200);
    expect(errors).toEqual([]);
  });
});
