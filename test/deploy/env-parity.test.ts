// One set of variables everywhere: every variable lib/config.ts reads appears in .env.example, in the
// Kubernetes ConfigMap (k8s/base/ferry.env) or Secret template (exactly one of them: secrets only in the
// Secret), and in the tables of docs/configuration.md ("Ferry's variables") with its real default. When
// this fails after you added a variable to lib/config.ts, add it to those four places.
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../lib/config';
import { parseEnvFile, parseManifests, readRepoFile } from './tools';

const CONFIG_VARS = Object.keys(envSchema.shape).sort();
const DEFAULTS = envSchema.parse({}) as Record<string, unknown>;
const shape = envSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;

// Variables only docker compose reads (image versions, passwords of the compose PostgreSQL, host ports).
const COMPOSE_ONLY = [
  'COMPOSE_PROJECT_NAME',
  'FERRY_IMAGE',
  'POSTGRES_VERSION',
  'TEMPORAL_VERSION',
  'TEMPORAL_ADMINTOOLS_VERSION',
  'TEMPORAL_UI_VERSION',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'FERRY_DB_PASSWORD',
  'FERRY_API_PORT',
  'TEMPORAL_UI_PORT',
];
// Names that carry credentials: they belong in the Secret, never in the ConfigMap.
const SECRET_NAME =
  /(SECRET|TOKEN$|PASSWORD|_KEY$|_KEYS$|API_KEY|TLS_KEY|TLS_CERT|SERVICE_ACCOUNT_JSON|^DATABASE_URL$|^SMTP_URL$)/;

function secretTemplateKeys(): string[] {
  const [secret] = parseManifests(readRepoFile('k8s/secret.template.yaml'));
  return Object.keys((secret as unknown as { stringData: Record<string, string> }).stringData);
}

/** The cells of a markdown table row (Prettier pads them; no cell of ours contains a pipe). */
const tableCells = (line: string) =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());

const missing = (want: string[], have: Iterable<string>) => {
  const set = new Set(have);
  return want.filter((v) => !set.has(v));
};

describe('environment variables', () => {
  it('.env.example lists every variable, and nothing Ferry does not read', () => {
    const example = parseEnvFile(readRepoFile('.env.example'));
    expect(missing(CONFIG_VARS, example.keys()), 'add these to .env.example').toEqual([]);
    const extra = [...example.keys()].filter((k) => !CONFIG_VARS.includes(k) && !COMPOSE_ONLY.includes(k));
    expect(extra, 'in .env.example but not in lib/config.ts').toEqual([]);
  });

  it('.env.example values are valid for their variable', () => {
    const example = parseEnvFile(readRepoFile('.env.example'));
    for (const name of CONFIG_VARS) {
      const value = example.get(name);
      if (!value) continue; // blank = default
      expect(shape[name]!.safeParse(value).success, `${name}=${value}`).toBe(true);
    }
  });

  it('the ConfigMap and the Secret template together hold every variable, each in one place', () => {
    const configMap = parseEnvFile(readRepoFile('k8s/base/ferry.env'));
    const secretKeys = secretTemplateKeys();
    expect(
      missing(CONFIG_VARS, [...configMap.keys(), ...secretKeys]),
      'add to k8s/base/ferry.env or the Secret template',
    ).toEqual([]);
    expect(
      [...configMap.keys()].filter((k) => secretKeys.includes(k)),
      'in both ConfigMap and Secret',
    ).toEqual([]);
    expect(
      [...configMap.keys(), ...secretKeys].filter((k) => !CONFIG_VARS.includes(k)),
      'unknown to lib/config.ts',
    ).toEqual([]);
    expect(
      [...configMap.keys()].filter((k) => SECRET_NAME.test(k)),
      'credentials belong in the Secret',
    ).toEqual([]);
    for (const [name, value] of configMap) {
      if (value) expect(shape[name]!.safeParse(value).success, `${name}=${value}`).toBe(true);
    }
  });

  /** A "## " section of docs/configuration.md, up to the next one (its "### " parts included). */
  const configurationSection = (heading: string) => {
    const page = readRepoFile('docs/configuration.md');
    const start = page.indexOf(`\n## ${heading}\n`);
    expect(start, `docs/configuration.md has a section "${heading}"`).toBeGreaterThan(0);
    const end = page.indexOf('\n## ', start + 1);
    return page.slice(start, end === -1 ? undefined : end);
  };
  const variableRows = (heading: string) =>
    configurationSection(heading)
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map(tableCells);
  const FERRY_VARIABLES = "Ferry's variables";

  it('the configuration tables document every variable with its real default', () => {
    const rows = new Map<string, string>();
    for (const [name, defaultCell] of variableRows(FERRY_VARIABLES)) {
      const variable = name!.replaceAll('`', '');
      expect(rows.has(variable), `${variable} is documented twice`).toBe(false);
      rows.set(variable, defaultCell!);
    }
    expect(missing(CONFIG_VARS, rows.keys()), 'add rows to docs/configuration.md').toEqual([]);
    expect(
      [...rows.keys()].filter((k) => !CONFIG_VARS.includes(k)),
      'documented but not read',
    ).toEqual([]);
    for (const [name, cell] of rows) {
      if (cell === '—') {
        expect(DEFAULTS[name], `${name} is documented without a default`).toBeUndefined();
        continue;
      }
      const text = /^`(.*)`$/.exec(cell)?.[1];
      expect(text, `${name}: default cell must be \`value\` or —`).toBeDefined();
      // Parsing the documented text must give the schema's own default (so transforms compare fairly).
      expect(shape[name]!.safeParse(text).data, `${name} default`).toEqual(DEFAULTS[name]);
    }
  });

  it('secrets are marked as such in the table and kept in the Secret template', () => {
    const secretKeys = secretTemplateKeys();
    const marked = variableRows(FERRY_VARIABLES)
      .filter((cells) => cells[2]!.includes('🔒'))
      .map((cells) => cells[0]!.replaceAll('`', ''));
    expect(marked.sort()).toEqual([...secretKeys].sort());
  });

  it('the README leaves the variables to docs/configuration.md', () => {
    const readmeRows = readRepoFile('README.md')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => tableCells(line)[0]!.replaceAll('`', ''));
    expect(
      readmeRows.filter((name) => CONFIG_VARS.includes(name)),
      'move these rows to docs/configuration.md',
    ).toEqual([]);
  });

  it('the compose-only table lists exactly the compose-only variables, with the defaults of .env.example', () => {
    const example = parseEnvFile(readRepoFile('.env.example'));
    const rows = variableRows('Docker compose only');
    expect(rows.map((cells) => cells[0]!.replaceAll('`', '')).sort()).toEqual([...COMPOSE_ONLY].sort());
    for (const [name, defaultCell] of rows) {
      const variable = name!.replaceAll('`', '');
      if (defaultCell!.startsWith('—')) continue; // required: .env.example holds a placeholder
      expect(defaultCell, variable).toBe(`\`${example.get(variable)}\``);
    }
  });
});
