// Ferry's PostgreSQL schema, managed by node-pg-migrate from the SQL files in db/migrations/
// (`-- Up Migration` / `-- Down Migration` sections). Run by the worker at start and once by the test
// setup; node-pg-migrate takes an advisory lock, so concurrent workers do not race.
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../db/migrations', import.meta.url));

export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<void> {
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'ferry_migrations',
    count: Infinity,
    checkOrder: false,
    log,
  });
}
