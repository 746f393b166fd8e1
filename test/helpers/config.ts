// A Config for tests, pointing at the run's shared Temporal server and PostgreSQL.
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../lib/config';

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: inject('databaseUrl'),
    FERRY_ENCRYPTION_KEY: inject('encryptionKey'),
    FERRY_DATA_DIR: '.data/test',
    ...overrides,
  });
}
