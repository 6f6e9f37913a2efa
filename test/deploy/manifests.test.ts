import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/stack-env';
import {
  buildOverlay,
  composeTestEnv,
  ensureDeployTools,
  loadCompose,
  OVERLAYS,
  validateK8s,
  type ComposeService,
  type K8sObject,
} from './deploy-tools';

// Docker and a cluster are not available where the suite runs: the manifests
// are checked with the specifications' own libraries instead (kustomize;
// strict decoding into k8s.io/api; compose-go), then for the properties
// issue 18 asks of them.

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
  envFrom?: { configMapRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
  affinity?: { podAntiAffinity?: unknown };
  containers: Container[];
  volumes?: { secret?: { secretName: string } }[];
}
type Deployment = K8sObject & {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
};

const HUB_SERVICES = ['frontend', 'router', 'presence', 'files'] as const;
const DEPLOYMENTS = [...HUB_SERVICES, 'gateway'] as const;

const ofKind = <T extends K8sObject>(objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind) as T[];
const named = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string) =>
  ofKind<T>(objects, kind).find((o) => o.metadata.name === name);
const configData = (objects: K8sObject[], prefix: string) =>
  (ofKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith(`${prefix}-`)) as { data?: Record<string, string> } | undefined)
    ?.data ?? {};

describe('deploy/k8s', () => {
  let tools: ReturnType<typeof ensureDeployTools>;
  const built = new Map<string, K8sObject[]>();
  beforeAll(() => {
    tools = ensureDeployTools();
    for (const overlay of OVERLAYS) built.set(overlay, buildOverlay(tools, overlay));
  }, 900_000);

  it('the Secret templates are valid Kubernetes objects', () => {
    const secrets = validateK8s(tools, readFileSync(join(REPO_ROOT, 'deploy/k8s/base/secrets.example.yaml'), 'utf8'));
    expect(secrets.map((s) => `${s.kind}/${s.metadata.name}`)).toEqual(['Secret/hub-secrets', 'Secret/gateway-tls']);
    for (const s of secrets)
      for (const v of Object.values((s as { stringData?: Record<string, string> }).stringData ?? {})) expect(v).toBe('REPLACE_ME');
  });

  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      const objects = () => built.get(overlay)!;

      it('has every Deployment, with requests, limits, non-root read-only containers and anti-affinity', () => {
        for (const name of DEPLOYMENTS) {
          const d = named<Deployment>(objects(), 'Deployment', name);
          expect(d, name).toBeDefined();
          const pod = d!.spec.template.spec;
          expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
          expect(pod.affinity?.podAntiAffinity, name).toBeDefined();
          for (const c of pod.containers) {
            expect(Object.keys(c.resources?.requests ?? {}).sort(), name).toEqual(['cpu', 'memory']);
            expect(Object.keys(c.resources?.limits ?? {}).sort(), name).toEqual(['cpu', 'memory']);
            expect(c.securityContext, name).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
            expect(c.startupProbe && c.livenessProbe && c.readinessProbe, name).toBeTruthy();
          }
        }
      });

      it('probes the hub services on /health/live and /health/ready and gives them time to drain', () => {
        const shutdownS = Number(configData(objects(), 'hub-config').SHUTDOWN_TIMEOUT_MS) / 1000;
        expect(shutdownS).toBeGreaterThan(0);
        for (const name of HUB_SERVICES) {
          const pod = named<Deployment>(objects(), 'Deployment', name)!.spec.template.spec;
          const c = pod.containers[0]!;
          expect(c.startupProbe?.httpGet?.path, name).toBe('/health/live');
          expect(c.livenessProbe?.httpGet?.path, name).toBe('/health/live');
          expect(c.readinessProbe?.httpGet?.path, name).toBe('/health/ready');
          // The kubelet SIGKILLs after the grace period, counted from the preStop hook's start.
          const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
          expect(pod.terminationGracePeriodSeconds ?? 30, name).toBeGreaterThanOrEqual(preStop + shutdownS + 5);
        }
      });

      it('autoscales frontend, router and presence, router at most one replica per Kafka partition', () => {
        const hpas = ofKind<
          K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } }
        >(objects(), 'HorizontalPodAutoscaler');
        expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['frontend', 'presence', 'router']);
        for (const h of hpas) {
          expect(named(objects(), h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name), h.metadata.name).toBeDefined();
          expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
        }
        const partitions = Number(configData(objects(), 'hub-config').KAFKA_TOPIC_PARTITIONS);
        expect(hpas.find((h) => h.metadata.name === 'router')!.spec.maxReplicas).toBe(partitions);
      });

      it('has a disruption budget per Deployment and Services that select pods', () => {
        const deployments = ofKind<Deployment>(objects(), 'Deployment');
        const matches = (selector: Record<string, string>, d: Deployment) =>
          Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v);
        const pdbs = ofKind<K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(objects(), 'PodDisruptionBudget');
        for (const d of deployments)
          expect(
            pdbs.some((p) => matches(p.spec.selector.matchLabels, d)),
            d.metadata.name,
          ).toBe(true);
        for (const s of ofKind<K8sObject & { spec: { selector: Record<string, string> } }>(objects(), 'Service')) {
          expect(
            deployments.some((d) => matches(s.spec.selector, d)),
            s.metadata.name,
          ).toBe(true);
        }
      });

      it('refers only to ConfigMaps it creates and to Secrets of the templates; no home-made StatefulSets', () => {
        const secretTemplates = validateK8s(
          tools,
          readFileSync(join(REPO_ROOT, 'deploy/k8s/base/secrets.example.yaml'), 'utf8'),
        ) as (K8sObject & { stringData: Record<string, string> })[];
        const configMaps = new Set(ofKind(objects(), 'ConfigMap').map((c) => c.metadata.name));
        for (const d of ofKind<Deployment>(objects(), 'Deployment')) {
          const pod = d.spec.template.spec;
          for (const v of pod.volumes ?? [])
            if (v.secret) expect(secretTemplates.map((s) => s.metadata.name)).toContain(v.secret.secretName);
          for (const c of pod.containers) {
            for (const from of c.envFrom ?? [])
              if (from.configMapRef) expect(configMaps, d.metadata.name).toContain(from.configMapRef.name);
            for (const e of c.env ?? []) {
              const ref = e.valueFrom?.secretKeyRef;
              if (!ref) continue;
              const secret = secretTemplates.find((s) => s.metadata.name === ref.name);
              expect(Object.keys(secret?.stringData ?? {}), `${d.metadata.name}: ${ref.name}/${ref.key}`).toContain(ref.key);
            }
          }
        }
        expect(ofKind(objects(), 'StatefulSet')).toEqual([]);
      });
    });
  }
});

describe('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;
  beforeAll(() => {
    const tools = ensureDeployTools();
    services = loadCompose(tools, composeTestEnv()).services;
  }, 900_000);

  it('gives every long-running service a health check, and every dependency waits for health (or a finished job)', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.restart === 'no') continue; // one-shot jobs (minio-init)
      expect(s.healthcheck?.test?.length, name).toBeGreaterThan(0);
      expect(s.healthcheck?.disable ?? false, name).toBe(false);
    }
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = services[dep]!;
        expect(condition, `${name} → ${dep}`).toBe(target.restart === 'no' ? 'service_completed_successfully' : 'service_healthy');
      }
    }
  });

  it('runs the hub services, the gateway, the stores and the observability stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'alertmanager',
        'etcd',
        'files',
        'frontend',
        'gateway',
        'grafana',
        'jaeger',
        'kafka',
        'minio',
        'minio-init',
        'mongo',
        'presence',
        'prometheus',
        'redis',
        'router',
      ].sort(),
    );
    for (const name of HUB_SERVICES) expect(services[name]!.command, name).toEqual([name]);
    expect(services.mongo!.image).toMatch(/^mongo:/);
    expect(services.kafka!.image).toMatch(/^apache\/kafka:/);
  });

  it('lets router and presence scale (no fixed container name, no host ports)', () => {
    for (const name of ['router', 'presence']) {
      expect(services[name]!.container_name, name).toBeUndefined();
      expect(services[name]!.ports ?? [], name).toEqual([]);
    }
  });

  it('mounts only files that exist in the repository', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        // Certificates are made by deploy/gateway/dev-cert.sh on the operator's machine.
        if (v.type !== 'bind' || !v.source || v.target === '/etc/gateway/tls') continue;
        if (!existsSync(v.source)) missing.push(`${name}: ${v.source}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
