// Offline tools for the deployment tests, found or installed once per machine under .tools/ (no Docker
// engine and no cluster needed):
// - kustomize rendering: `kubectl kustomize` (ships with this machine kind), else a `kustomize` binary,
//   else one built with `go install` into .tools/bin; with none of those the tests fail saying so.
// - Kubernetes schema validation: PyPI's kubernetes-validate, which bundles the API schemas and with
//   --strict rejects unknown fields; installed into a venv at .tools/kubernetes-validate.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOOLS = join(ROOT, '.tools');
export const KUBERNETES_VERSION = '1.32.0';
const KUBERNETES_VALIDATE = 'kubernetes-validate==1.37.0';
const KUSTOMIZE_MODULE = 'sigs.k8s.io/kustomize/kustomize/v5@v5.5.0';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, bin);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Runs `sh -c script` under a machine-wide lock, so parallel test files install a tool only once. */
function locked(name: string, script: string, env: NodeJS.ProcessEnv = process.env) {
  mkdirSync(TOOLS, { recursive: true });
  const r = spawnSync('flock', [join(tmpdir(), `ferry-${name}.lock`), 'sh', '-c', script], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`installing ${name} failed:\n${r.stderr || r.stdout || r.error?.message}`);
}

function kustomizeCommand(): { bin: string; args: string[] } {
  const kubectl = which('kubectl');
  if (kubectl) return { bin: kubectl, args: ['kustomize'] };
  const local = join(TOOLS, 'bin', 'kustomize');
  const onPath = which('kustomize');
  if (onPath) return { bin: onPath, args: ['build'] };
  if (!existsSync(local)) {
    if (!which('go')) {
      throw new Error('rendering k8s/ needs kubectl, kustomize or Go (to build kustomize): none is installed');
    }
    locked('kustomize', `test -x "${local}" || go install ${KUSTOMIZE_MODULE}`, {
      ...process.env,
      GOBIN: join(TOOLS, 'bin'),
      GOFLAGS: '-mod=mod',
    });
  }
  return { bin: local, args: ['build'] };
}

/** The rendered manifests of a kustomization directory (relative to the repository). */
export function renderKustomize(dir: string): { text: string; manifests: Manifest[] } {
  const { bin, args } = kustomizeCommand();
  const text = execFileSync(bin, [...args, join(ROOT, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { text, manifests: parseManifests(text) };
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

function kubernetesValidateBin(): string {
  const venv = join(TOOLS, 'kubernetes-validate');
  const bin = join(venv, 'bin', 'kubernetes-validate');
  if (existsSync(bin)) return bin;
  const python = which('python3');
  if (!python) throw new Error('validating manifests needs python3 (for PyPI kubernetes-validate): not installed');
  locked(
    'kubernetes-validate',
    `test -x "${bin}" || { "${python}" -m venv "${venv}" && "${venv}/bin/pip" install --quiet --disable-pip-version-check "${KUBERNETES_VALIDATE}"; }`,
  );
  return bin;
}

/** Validates YAML text against the Kubernetes schemas, strictly (unknown fields are errors). */
export function validateManifests(text: string): { ok: boolean; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-k8s-')), 'manifests.yaml');
  writeFileSync(file, text);
  const r = spawnSync(kubernetesValidateBin(), ['-k', KUBERNETES_VERSION, '--strict', '--quiet', file], {
    encoding: 'utf8',
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

export const readRepoFile = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const repoPath = (path: string) => join(ROOT, path);

/** KEY=value lines of an env file (docker compose / kustomize flavour): comments and blanks skipped. */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error(`not a KEY=value line: ${line}`);
    let value = line.slice(eq + 1);
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    out.set(line.slice(0, eq), value);
  }
  return out;
}
