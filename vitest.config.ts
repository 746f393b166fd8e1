import { defineConfig } from 'vitest/config';

// One real Temporal dev server and one real PostgreSQL for the whole run (test/setup/global.ts);
// test files run in parallel against them, each on its own task queue / schema.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
  },
});
