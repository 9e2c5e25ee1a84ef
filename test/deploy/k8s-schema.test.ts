import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
// @ts-expect-error: plain ESM script without type declarations
import { helmPath, renderChart } from "../../scripts/render-manifests.mjs";

/**
 * The rendered chart checked against the Kubernetes OpenAPI schemas that the kubernetes-models
 * package generates validators from (types, required fields, enums, formats). Unknown fields
 * are not caught there; `helm lint --strict` in helm.test.ts covers the chart side.
 */
type Validatable = { validate(): void };
type Model = new (data: unknown) => Validatable;

const MODELS: Record<string, () => Promise<Model>> = {
  "apps/v1/Deployment": async () =>
    (await import("kubernetes-models/apps/v1/Deployment")).Deployment as unknown as Model,
  "apps/v1/StatefulSet": async () =>
    (await import("kubernetes-models/apps/v1/StatefulSet")).StatefulSet as unknown as Model,
  "v1/Service": async () =>
    (await import("kubernetes-models/v1/Service")).Service as unknown as Model,
  "v1/ConfigMap": async () =>
    (await import("kubernetes-models/v1/ConfigMap")).ConfigMap as unknown as Model,
  "v1/ServiceAccount": async () =>
    (await import("kubernetes-models/v1/ServiceAccount")).ServiceAccount as unknown as Model,
  "autoscaling/v2/HorizontalPodAutoscaler": async () =>
    (await import("kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler"))
      .HorizontalPodAutoscaler as unknown as Model,
  "policy/v1/PodDisruptionBudget": async () =>
    (await import("kubernetes-models/policy/v1/PodDisruptionBudget"))
      .PodDisruptionBudget as unknown as Model,
};

// The Prometheus Operator's CRD has no schema in kubernetes-models; it is checked by shape in helm.test.ts.
const CUSTOM_RESOURCES = new Set(["monitoring.coreos.com/v1/ServiceMonitor"]);

const VALUE_SETS: string[][] = [
  [],
  ["persistence.enabled=true", "persistence.size=20Gi"],
  ["serviceMonitor.enabled=true", "ports.prometheus.enabled=true"],
  ["autoscaling.enabled=false", "replicaCount=3"],
  ["envFromSecrets={tripline-datadog,tripline-grafana}"],
];

let HELM = "";
beforeAll(() => {
  HELM = helmPath();
}, 120_000);

describe("rendered manifests against the Kubernetes schemas", () => {
  it.each(VALUE_SETS.map((sets) => [sets.join(" ") || "defaults", sets]))(
    "%s",
    async (_name, sets) => {
      const objects = parseAllDocuments(renderChart(sets, HELM))
        .map((d) => d.toJS() as { apiVersion: string; kind: string } | null)
        .filter((o) => o !== null);
      expect(objects.length).toBeGreaterThan(3);
      for (const object of objects) {
        const key = `${object.apiVersion}/${object.kind}`;
        if (CUSTOM_RESOURCES.has(key)) continue;
        const load = MODELS[key];
        expect(load, `no schema for ${key}`).toBeDefined();
        const Kind = await load!();
        expect(() => new Kind(object).validate(), key).not.toThrow();
      }
    },
  );

  it("rejects a manifest that breaks the schema (the check can fail)", async () => {
    const Deployment = await MODELS["apps/v1/Deployment"]!();
    const broken = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: {
        selector: { matchLabels: { app: "x" } },
        template: {
          spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "80" }] }] },
        },
      },
    };
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/);
  });
});
