import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseAllDocuments } from 'yaml';
import { loadConfig, SETTINGS } from '../src/config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ENTITIES } from '../src/entities';
import { runMigrationsLocked } from '../src/database/migrate';
import { startTestApp, TestApp } from './support/app';
import { createTestDatabase } from './support/database';
import { REPO_ROOT } from './support/server-process';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are read as loosely typed YAML */
type Manifest = Record<string, any>;

const DIR = join(REPO_ROOT, 'deploy/kubernetes');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const manifests: (Manifest & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { ...(doc.toJS() as Manifest), file };
  }),
);
const resources = manifests.filter((m) => m.kind !== 'Kustomization');

function get(kind: string, name: string): Manifest {
  const found = resources.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
}

const deployment = get('Deployment', 'flagport');
const job = get('Job', 'flagport-migrate');
const configMap = get('ConfigMap', 'flagport-config');
const secret = get('Secret', 'flagport-secrets');
const memcached = get('StatefulSet', 'flagport-memcached');
const api = deployment.spec.template.spec.containers[0];
const workloads = [deployment, job, memcached];

/** Environment a container gets: its envFrom ConfigMaps/Secrets, then its own env entries. */
function containerEnv(container: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, get('ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) Object.assign(env, get('Secret', source.secretRef.name).stringData);
  }
  for (const entry of container.env ?? []) env[entry.name] = String(entry.value);
  return env;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function send(url: string, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('every file parses as YAML and every document has apiVersion, kind and a name', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const m of manifests) {
      expect([m.file, typeof m.apiVersion, typeof m.kind]).toEqual([m.file, 'string', 'string']);
      if (m.kind !== 'Kustomization') expect(typeof m.metadata?.name).toBe('string');
    }
  });

  it('kustomization lists every manifest file and only existing ones', () => {
    const kustomization = manifests.find((m) => m.kind === 'Kustomization')!;
    expect([...kustomization.resources].sort()).toEqual(
      files.filter((f) => f !== 'kustomization.yaml').sort(),
    );
  });

  it('includes Deployment, Service, ConfigMap, Secret, migration Job, PodDisruptionBudget and autoscaler for the API, and memcached', () => {
    const kinds = new Set(resources.map((m) => `${m.kind}/${m.metadata.name}`));
    for (const expected of [
      'Deployment/flagport',
      'Service/flagport',
      'ConfigMap/flagport-config',
      'Secret/flagport-secrets',
      'Job/flagport-migrate',
      'PodDisruptionBudget/flagport',
      'HorizontalPodAutoscaler/flagport',
      'StatefulSet/flagport-memcached',
      'Service/flagport-memcached',
      'PodDisruptionBudget/flagport-memcached',
    ]) {
      expect(kinds).toContain(expected);
    }
  });

  it('every environment variable set for the API and the Job is one the app reads', () => {
    const names = [
      ...Object.keys(configMap.data),
      ...Object.keys(secret.stringData),
      ...[api, job.spec.template.spec.containers[0]].flatMap((c: Manifest) =>
        (c.env ?? []).map((e: Manifest) => e.name as string),
      ),
    ];
    expect(names.filter((name) => !(name in SETTINGS))).toEqual([]);
  });

  it('API container environment is a valid configuration', () => {
    const config = loadConfig(containerEnv(api));
    expect(config.RUN_MIGRATIONS_ON_START).toBe(false);
    expect(config.database.kind).toBe('external');
    expect(config.PORT).toBe(8000);
  });

  it('API image runs node dist/src/main.js and the Job runs the migrate command of dist/src/cli.js', () => {
    expect(api.command).toEqual(['node', 'dist/src/main.js']);
    expect(existsSync(join(REPO_ROOT, 'src/main.ts'))).toBe(true);
    const jobContainer = job.spec.template.spec.containers[0];
    expect(jobContainer.command).toEqual(['node', 'dist/src/cli.js', 'migrate']);
    expect(readFileSync(join(REPO_ROOT, 'src/cli.ts'), 'utf8')).toMatch(/case 'migrate':/);
    expect(jobContainer.image).toBe(api.image);
    expect(jobContainer.envFrom).toEqual(api.envFrom);
    expect(['OnFailure', 'Never']).toContain(job.spec.template.spec.restartPolicy);
  });

  it('API probes use the health endpoints on the container port named by PORT', () => {
    expect(api.livenessProbe.httpGet.path).toBe('/health/liveness/');
    expect(api.readinessProbe.httpGet.path).toBe('/health/readiness/');
    const port = api.ports.find((p: Manifest) => p.name === api.livenessProbe.httpGet.port);
    expect(port.containerPort).toBe(Number(containerEnv(api).PORT));
    expect(api.ports.find((p: Manifest) => p.name === api.readinessProbe.httpGet.port)).toBe(port);
  });

  it('Prometheus annotations and the metrics port agree with PROMETHEUS_PORT', () => {
    const env = containerEnv(api);
    const annotations = deployment.spec.template.metadata.annotations;
    expect(env.PROMETHEUS_ENABLED).toBe('true');
    expect(annotations['prometheus.io/port']).toBe(env.PROMETHEUS_PORT);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    expect(api.ports.find((p: Manifest) => p.name === 'metrics').containerPort).toBe(
      Number(env.PROMETHEUS_PORT),
    );
  });

  it('every pod runs as non-root with a read-only root filesystem, no privilege escalation and no capabilities', () => {
    for (const workload of workloads) {
      const pod = workload.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('API and Job run as uid 1000 (the image’s node user) with /tmp on an emptyDir', () => {
    expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m);
    for (const workload of [deployment, job]) {
      const pod = workload.spec.template.spec;
      expect(pod.securityContext.runAsUser).toBe(1000);
      const mount = pod.containers[0].volumeMounts.find((m: Manifest) => m.mountPath === '/tmp');
      const volume = pod.volumes.find((v: Manifest) => v.name === mount.name);
      expect(volume.emptyDir).toBeDefined();
    }
    expect(containerEnv(api).ADMIN_JS_TMP_DIR).toMatch(/^\/tmp\//);
  });

  it('every container has CPU and memory requests and a memory limit', () => {
    for (const workload of workloads) {
      for (const container of workload.spec.template.spec.containers) {
        expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(typeof container.resources.limits.memory).toBe('string');
      }
    }
  });

  it('Services, PodDisruptionBudgets and the autoscaler select the pods they are meant for', () => {
    const apiLabels = deployment.spec.template.metadata.labels;
    const cacheLabels = memcached.spec.template.metadata.labels;
    expect(matches(deployment.spec.selector.matchLabels, apiLabels)).toBe(true);
    expect(matches(get('Service', 'flagport').spec.selector, apiLabels)).toBe(true);
    expect(matches(get('PodDisruptionBudget', 'flagport').spec.selector.matchLabels, apiLabels)).toBe(true);
    expect(matches(get('Service', 'flagport').spec.selector, cacheLabels)).toBe(false);
    expect(matches(get('Service', 'flagport-memcached').spec.selector, cacheLabels)).toBe(true);
    expect(
      matches(get('PodDisruptionBudget', 'flagport-memcached').spec.selector.matchLabels, cacheLabels),
    ).toBe(true);
    for (const port of get('Service', 'flagport').spec.ports) {
      expect(api.ports.map((p: Manifest) => p.name)).toContain(port.targetPort);
    }
    const hpa = get('HorizontalPodAutoscaler', 'flagport');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'flagport' });
    // Two or more pods always, so the budget (minAvailable) still lets a node drain.
    expect(hpa.spec.minReplicas).toBeGreaterThan(get('PodDisruptionBudget', 'flagport').spec.minAvailable);
  });

  it('pods get longer to stop than SHUTDOWN_GRACE_SECONDS', () => {
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      Number(containerEnv(api).SHUTDOWN_GRACE_SECONDS),
    );
  });

  it('ENVIRONMENT_CACHE_LOCATION names every memcached pod of the StatefulSet by its stable DNS name', () => {
    const env = containerEnv(api);
    expect(env.ENVIRONMENT_CACHE_BACKEND).toBe('memcached');
    const port = memcached.spec.template.spec.containers[0].ports[0].containerPort;
    const expected = Array.from(
      { length: memcached.spec.replicas },
      (_, i) => `${memcached.metadata.name}-${i}.${memcached.spec.serviceName}:${port}`,
    );
    expect(env.ENVIRONMENT_CACHE_LOCATION.split(',')).toEqual(expected);
    expect(get('Service', memcached.spec.serviceName).spec.clusterIP).toBe('None');
  });

  describe('the app started with the API container’s environment after the migration Job', () => {
    let t: TestApp;
    let metricsPort: number;

    beforeAll(async () => {
      const databaseUrl = await createTestDatabase();
      // What the Job does (node dist/src/cli.js migrate) ...
      const migrate = new DataSource(
        dataSourceOptions(
          { primary: { url: databaseUrl, label: 'k8s' }, replicas: [] },
          { primaryPoolSize: 2, replicaPoolSize: 1, connectTimeoutMs: 5000 },
          ENTITIES,
        ),
      );
      await migrate.initialize();
      await runMigrationsLocked(migrate);
      await migrate.destroy();
      // ... then the Deployment's pod, with only the cluster addresses replaced.
      metricsPort = await freePort();
      t = await startTestApp({
        ...containerEnv(api),
        DATABASE_URL: databaseUrl,
        PROMETHEUS_PORT: String(metricsPort),
        HOST: '127.0.0.1',
        ENVIRONMENT_CACHE_BACKEND: 'memory',
        ENABLE_TELEMETRY: 'false',
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('liveness and readiness probe paths answer 200 to a kubelet probing the pod IP', async () => {
      for (const probe of [api.startupProbe, api.livenessProbe, api.readinessProbe]) {
        expect([probe.httpGet.path, await send(t.url, probe.httpGet.path, '10.42.0.17:8000')]).toEqual([
          probe.httpGet.path,
          200,
        ]);
      }
    });

    it('requests for other hosts than DJANGO_ALLOWED_HOSTS are refused', async () => {
      expect(await send(t.url, '/api/v1/analytics/telemetry/', '10.42.0.17:8000')).toBe(400);
    });

    it('metrics are served on the metrics port', async () => {
      expect(await send(`http://127.0.0.1:${metricsPort}`, '/metrics', '10.42.0.17:9100')).toBe(200);
    });
  });
});
