import { describe, expect, it } from "vitest";
import { fixture, RECEIVED_AT, setup } from "./support.js";

describe("falco preset", () => {
  it("maps a Falco alert from a container in Kubernetes", async () => {
    const { run } = setup({ preset: "falco" });
    const alert = fixture("falco/terminal-shell.json");
    const [record] = await run([alert]);
    expect(record).toEqual({
      eventName: "security.detection",
      time: 1_715_675_472_123_456_789n,
      observedTime: RECEIVED_AT,
      severityText: "Notice",
      severityNumber: 13,
      body: alert.output,
      attributes: {
        "detection.id": "4b1bd0ba-3a2f-4c43-9d5e-0d2f1d9b6f10",
        "detection.severity": "low",
        "detection.category": "runtime_threat",
        "detection.action": "observed",
        "detection.surface": "k8s_workload",
        "security_rule.name": "Terminal shell in container",
        "user.name": "root",
        "falco.source": "syscall",
        "falco.tags": ["T1059", "container", "maturity_stable", "mitre_execution", "shell"],
        "falco.output_fields": alert.output_fields,
        "detection.source.product": "falco",
        "detection.source.vendor": "falcosecurity",
      },
      resource: {
        attributes: {
          "host.name": "ip-10-0-1-23",
          "k8s.namespace.name": "web",
          "k8s.pod.name": "nginx-7c9d8-abcde",
          "container.name": "nginx",
          "container.id": "4f6d8e3b2a1c",
          "container.image.name": "docker.io/library/nginx",
        },
      },
      scope: { name: "tripline/receiver/detections" },
    });
  });

  it("maps a host alert without container or Kubernetes fields", async () => {
    const { run } = setup({ preset: "falco" });
    const [record] = await run([fixture("falco/read-sensitive-file.json")]);
    expect(record!.time).toBe(1_618_914_005_408_091_526n);
    expect(record!.severityNumber).toBe(14);
    expect(record!.attributes["detection.severity"]).toBe("medium");
    expect(record!.attributes).not.toHaveProperty("detection.surface");
    expect(record!.attributes).not.toHaveProperty("detection.id");
    expect(record!.resource.attributes).toEqual({ "host.name": "worker-1" });
  });

  it("keeps microseconds of a Critical alert", async () => {
    const { run } = setup({ preset: "falco" });
    const [record] = await run([fixture("falco/drop-and-execute.json")]);
    expect(record!.time).toBe(1_715_695_364_000_001_000n);
    expect(record!.severityNumber).toBe(21);
    expect(record!.resource.attributes["k8s.namespace.name"]).toBe("payments");
  });

  it("grades every Falco priority, in any case", async () => {
    const { run } = setup({ preset: "falco" });
    const table: [string, string][] = [
      ["Emergency", "critical"],
      ["Alert", "critical"],
      ["Critical", "critical"],
      ["Error", "high"],
      ["Warning", "medium"],
      ["Notice", "low"],
      ["Informational", "info"],
      ["Debug", "info"],
      ["WARNING", "medium"],
      ["info", "info"],
    ];
    const base = fixture("falco/terminal-shell.json");
    const out = await run(table.map(([priority]) => ({ ...base, priority })));
    expect(out.map((r) => [r.severityText, r.attributes["detection.severity"]])).toEqual(table);
    expect(out.some((r) => r.attributes["detection.severity_defaulted"])).toBe(false);
  });

  it("flags an alert without a rule", async () => {
    const { run } = setup({ preset: "falco" });
    const { rule: _rule, ...alert } = fixture("falco/terminal-shell.json");
    const [record] = await run([alert]);
    expect(record!.attributes["detection.mapping_error"]).toBe(
      "falco: not a Falco alert: rule is missing",
    );
  });
});
