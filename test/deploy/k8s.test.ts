// The Kubernetes manifests, offline: both overlays render with kustomize, every object validates
// strictly against the Kubernetes 1.32 schemas, and the properties the deployment relies on hold
// (probes, resources, non-root read-only pods, the HPA, PDBs, deny-by-default network policies).
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FERRY_SEARCH_ATTRIBUTES } from '../../lib/search-attributes';
import { parseManifests, readRepoFile, renderKustomize, validateManifests, type Manifest } from './tools';

/* eslint-disable @typescript-eslint/no-explicit-any -- walking parsed YAML */
type Any = any;

const OVERLAYS = ['dev', 'prod'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, renderKustomize(`k8s/overlays/${o}`)])) as Record<
  (typeof OVERLAYS)[number],
  { text: string; manifests: Manifest[] }
>;
const find = (ms: Manifest[], kind: string, name: string): Any => {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`${kind}/${name} not rendered`);
  return m;
};

describe.each(OVERLAYS)('k8s overlay %s', (overlay) => {
  const { text, manifests } = rendered[overlay];

  it('validates strictly against the Kubernetes schemas', () => {
    const result = validateManifests(text);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('has every object the deployment needs, in one namespace', () => {
    const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/ferry-api',
        'Deployment/ferry-worker',
        'Deployment/ferry-workflow-worker',
        'Service/ferry-api',
        'Ingress/ferry-api',
        'HorizontalPodAutoscaler/ferry-worker',
        'PodDisruptionBudget/ferry-api',
        'PodDisruptionBudget/ferry-worker',
        'PodDisruptionBudget/ferry-workflow-worker',
        'NetworkPolicy/ferry-default-deny',
        'NetworkPolicy/ferry-api',
        'NetworkPolicy/ferry-worker',
        'NetworkPolicy/ferry-workflow-worker',
        'ServiceAccount/ferry',
      ]),
    );
    expect(manifests.some((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ferry-config-'))).toBe(true);
    // The Secret is created out of band: applying the overlay must never overwrite it with blanks.
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const ns = find(manifests, 'Namespace', overlay === 'prod' ? 'ferry' : 'ferry-dev');
    for (const m of manifests.filter((x) => x.kind !== 'Namespace')) {
      expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBe(ns.metadata.name);
    }
  });

  it.each(['ferry-api', 'ferry-worker', 'ferry-workflow-worker'])(
    '%s: probes, resources, non-root read-only pod, config',
    (name) => {
      const dep = find(manifests, 'Deployment', name);
      const pod = dep.spec.template.spec;
      const [c] = pod.containers;
      const port = name === 'ferry-api' ? 'http' : 'health';
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port });
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port });
      for (const k of ['cpu', 'memory']) {
        expect(c.resources.requests[k], k).toBeTruthy();
        expect(c.resources.limits[k], k).toBeTruthy();
      }
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      // With a read-only root, every writable path Ferry uses must be a mounted emptyDir.
      const config = manifests.find(
        (m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ferry-config-'),
      ) as Any;
      const writable = ['/tmp', config.data.LOG_DIR, config.data.FERRY_DATA_DIR];
      for (const path of writable) {
        const mount = c.volumeMounts.find((v: Any) => v.mountPath === path);
        expect(mount, `mount for ${path}`).toBeDefined();
        expect(pod.volumes.find((v: Any) => v.name === mount.name).emptyDir).toBeDefined();
      }
      expect(c.envFrom).toEqual([
        { configMapRef: { name: config.metadata.name } },
        { secretRef: { name: 'ferry-secrets' } },
      ]);
      expect(c.image).toMatch(/^ghcr\.io\/example\/ferry:/);
    },
  );

  it('gives the worker more grace than its own shutdown grace, and lets the HPA own its replicas', () => {
    const worker = find(manifests, 'Deployment', 'ferry-worker');
    const config = manifests.find((m) => m.kind === 'ConfigMap') as Any;
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      Number(config.data.WORKER_SHUTDOWN_GRACE_SECONDS) + 5,
    );
    expect(worker.spec.replicas).toBeUndefined();
    const hpa = find(manifests, 'HorizontalPodAutoscaler', 'ferry-worker');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ferry-worker' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
  });

  it('selects the right pods with its Service, PDBs and network policies', () => {
    const labelsOf = (dep: string) => find(manifests, 'Deployment', dep).spec.template.metadata.labels;
    const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(find(manifests, 'Service', 'ferry-api').spec.selector, labelsOf('ferry-api'))).toBe(true);
    for (const dep of ['ferry-api', 'ferry-worker', 'ferry-workflow-worker']) {
      expect(matches(find(manifests, 'PodDisruptionBudget', dep).spec.selector.matchLabels, labelsOf(dep))).toBe(true);
      const np = find(manifests, 'NetworkPolicy', dep);
      expect(matches(np.spec.podSelector.matchLabels, labelsOf(dep))).toBe(true);
      expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      // Egress to the internet never reaches private ranges or the cloud metadata address.
      for (const rule of np.spec.egress) {
        for (const to of rule.to ?? []) {
          if (to.ipBlock?.cidr === '0.0.0.0/0')
            expect(to.ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16']));
        }
      }
    }
    const deny = find(manifests, 'NetworkPolicy', 'ferry-default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const ingress = find(manifests, 'Ingress', 'ferry-api');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'ferry-api', port: { name: 'http' } });
  });

  it('splits the workers by WORKER_ROLE: activities scale on the HPA, workflows reach only DNS, Temporal and the trace collector', () => {
    const roleOf = (dep: string) =>
      find(manifests, 'Deployment', dep).spec.template.spec.containers[0].env.find((e: Any) => e.name === 'WORKER_ROLE')
        ?.value;
    expect(roleOf('ferry-worker')).toBe('activities');
    expect(roleOf('ferry-workflow-worker')).toBe('workflows');
    expect(find(manifests, 'Deployment', 'ferry-workflow-worker').spec.replicas).toBeGreaterThanOrEqual(1);
    const egress = find(manifests, 'NetworkPolicy', 'ferry-workflow-worker').spec.egress;
    const egressPorts = egress.flatMap((rule: Any) => rule.ports.map((p: Any) => p.port)).sort();
    expect(egressPorts).toEqual([4318, 53, 53, 7233]);
    // OTLP only to the monitoring namespace, never the internet.
    const otlp = egress.find((rule: Any) => rule.ports.some((p: Any) => p.port === 4318));
    expect(otlp.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
  });

  it('ships the Grafana dashboard as a ConfigMap the Grafana sidecar loads', () => {
    const cm = find(manifests, 'ConfigMap', 'ferry-grafana-dashboard');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(cm.data['ferry-dashboard.json']).toBe(readRepoFile('k8s/components/grafana-dashboard/ferry-dashboard.json'));
    expect(JSON.parse(cm.data['ferry-dashboard.json'])).toMatchObject({ uid: 'ferry-overview', title: 'Ferry' });
  });

  it("serves the API's /metrics only on the metrics port: Prometheus reaches it, the Service and Ingress do not", () => {
    const dep = find(manifests, 'Deployment', 'ferry-api');
    const pod = dep.spec.template;
    const config = manifests.find((m) => m.kind === 'ConfigMap') as Any;
    const ports = Object.fromEntries(pod.spec.containers[0].ports.map((p: Any) => [p.name, p.containerPort]));
    expect(ports.metrics).toBe(Number(config.data.API_METRICS_PORT));
    expect(ports.http).toBe(Number(config.data.PORT));
    expect(pod.metadata.annotations['prometheus.io/port']).toBe(String(ports.metrics));
    expect(pod.metadata.annotations['prometheus.io/path']).toBe('/metrics');
    expect(find(manifests, 'Service', 'ferry-api').spec.ports.map((p: Any) => p.targetPort)).toEqual(['http']);
    const allowed = (namespace: string) =>
      find(manifests, 'NetworkPolicy', 'ferry-api')
        .spec.ingress.filter((rule: Any) =>
          rule.from.some((f: Any) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === namespace),
        )
        .flatMap((rule: Any) => rule.ports.map((p: Any) => p.port));
    expect(allowed('ingress-nginx')).toEqual([ports.http]);
    expect(allowed('monitoring')).toEqual([ports.metrics]);
  });

  it('registers every search attribute Ferry sets', () => {
    const job = find(manifests, 'Job', 'ferry-search-attributes');
    const script: string = job.spec.template.spec.containers[0].args[0];
    for (const key of FERRY_SEARCH_ATTRIBUTES) expect(script).toContain(key.name);
  });
});

describe('Temporal Helm values: the Web UI is locked', () => {
  const text = readRepoFile('k8s/temporal/values.yaml');
  const values = parse(text) as Any;
  const envOf = (v: Any) =>
    Object.fromEntries((v.web.additionalEnv ?? []).map((e: Any) => [e.name, e.value])) as Record<string, string>;

  /** Why these values expose the Web UI unsafely, if they do. */
  const exposureProblems = (v: Any): string[] => {
    const env = envOf(v);
    const problems: string[] = [];
    if (v.web.ingress?.enabled && env.TEMPORAL_AUTH_ENABLED !== 'true') problems.push('ingress without OIDC sign-in');
    if (env.TEMPORAL_DISABLE_WRITE_ACTIONS !== 'true' && env.TEMPORAL_AUTH_ENABLED !== 'true') {
      problems.push('write actions on without sign-in');
    }
    return problems;
  };

  it('ships read-only, with the ingress off until sign-in is configured', () => {
    expect(values.web.ingress.enabled).toBe(false);
    expect(envOf(values).TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(exposureProblems(values)).toEqual([]);
    // The check is real: turning the ingress on alone, or write actions on alone, is caught.
    const opened = structuredClone(values);
    opened.web.ingress.enabled = true;
    expect(exposureProblems(opened)).toEqual(['ingress without OIDC sign-in']);
    const writable = structuredClone(values);
    writable.web.additionalEnv = writable.web.additionalEnv.filter(
      (e: Any) => e.name !== 'TEMPORAL_DISABLE_WRITE_ACTIONS',
    );
    expect(exposureProblems(writable)).toEqual(['write actions on without sign-in']);
  });

  it("documents the UI server's OIDC settings as a block that parses once uncommented", () => {
    const block = text
      .split('\n')
      .filter((l) => /^ {4}# (- name:| {2}value:)/.test(l))
      .map((l) => l.replace(/^( {4})# /, '$1').replace(/ #.*$/, ''))
      .join('\n');
    const oidc = Object.fromEntries((parse(block) as Any[]).map((e) => [e.name, String(e.value)]));
    expect(oidc).toMatchObject({
      TEMPORAL_AUTH_ENABLED: 'true',
      TEMPORAL_AUTH_PROVIDER_URL: expect.stringMatching(/^https:\/\//),
      TEMPORAL_AUTH_CLIENT_ID: expect.any(String),
      TEMPORAL_AUTH_CALLBACK_URL: expect.stringMatching(/^https:\/\/.+\/auth\/sso\/callback$/),
      TEMPORAL_AUTH_SCOPES: expect.stringContaining('openid'),
    });
    // The client secret is not a value in the file: it comes from a Secret loaded with envFrom.
    expect(text).toMatch(/^ {2}# additionalEnvSecretName: \S+$/m);
    expect(text).toContain('TEMPORAL_AUTH_CLIENT_SECRET');
    expect(oidc.TEMPORAL_AUTH_CLIENT_SECRET).toBeUndefined();
    // With sign-in on and the ingress enabled, the values pass the exposure check.
    const signedIn = structuredClone(values);
    signedIn.web.ingress.enabled = true;
    signedIn.web.additionalEnv.push({ name: 'TEMPORAL_AUTH_ENABLED', value: oidc.TEMPORAL_AUTH_ENABLED });
    expect(exposureProblems(signedIn)).toEqual([]);
  });
});

describe('k8s secret template', () => {
  it('validates and carries no values', () => {
    const text = readRepoFile('k8s/secret.template.yaml');
    const result = validateManifests(text);
    expect(result.output).toBe('');
    const [secret] = parseManifests(text) as Any[];
    expect(secret.kind).toBe('Secret');
    expect(Object.values(secret.stringData).every((v) => v === '')).toBe(true);
  });

  it('the validator rejects an unknown field (the check is strict)', () => {
    const podField = '      automountServiceAccountToken: false\n';
    const bad = rendered.dev.text.replace(podField, `${podField}      notAField: 1\n`);
    const result = validateManifests(bad);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("'notAField' was unexpected");
  });
});
