import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { migrate } from '../../lib/migrate';

describe('migrations', () => {
  it('are applied by the setup and re-running them is a no-op', async () => {
    const url = inject('databaseUrl');
    await migrate(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("select value from ferry_meta where key = 'schema_owner'");
      expect(rows).toEqual([{ value: 'ferry' }]);
      const { rows: applied } = await client.query('select name from ferry_migrations');
      expect(applied.map((r) => r.name)).toContain('1700000000000_init');
    } finally {
      await client.end();
    }
  });
});
