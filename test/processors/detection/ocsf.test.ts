import { describe, expect, it } from "vitest";
import { fixture, RECEIVED_AT, setup } from "./support.js";

describe("ocsf preset", () => {
  it("maps a Detection Finding (class 2004)", async () => {
    const { run } = setup({ preset: "ocsf" });
    const finding = fixture("ocsf/detection-finding-prompt-injection.json");
    const [record] = await run([finding]);
    expect(record).toEqual({
      eventName: "security.detection",
      time: 1_763_629_200_123_000_000n,
      observedTime: RECEIVED_AT,
      severityText: "High",
      severityNumber: 17,
      body: "Prompt injection blocked on support-bot",
      attributes: {
        "detection.id": "f-7d1c4e2a",
        "detection.severity": "high",
        "detection.category": "prompt_injection",
        "detection.action": "blocked",
        "detection.confidence": 0.92,
        "detection.description": "User input attempted to override the system prompt.",
        "security_rule.name": "pi-override-system-prompt",
        "security_rule.uuid": "R-1001",
        "detection.taxonomy.mitre_atlas": ["AML.T0051"],
        "user.id": "user-42",
        "user.name": "alice",
        "session.id": "sess-9f8e",
        "ocsf.class_uid": 2004,
        "ocsf.finding_info.types": ["Prompt Injection"],
        "ocsf.resources": [{ uid: "agent/support-bot", name: "support-bot", type: "AI Agent" }],
        "detection.source.product": "LLM Guard",
        "detection.source.vendor": "Example Security",
      },
      resource: {
        attributes: {
          "host.name": "gw-01",
          "cloud.region": "eu-west-1",
          "cloud.account.id": "123456789012",
        },
      },
      scope: { name: "tripline/receiver/detections" },
    });
  });

  it("maps an OCSF 1.0 Security Finding (class 2001, details under finding)", async () => {
    const { run } = setup({ preset: "ocsf" });
    const [record] = await run([fixture("ocsf/security-finding-1.0.json")]);
    expect(record!.severityNumber).toBe(14);
    expect(record!.time).toBe(1_763_629_260_500_000_000n);
    expect(record!.body).toBe("S3 bucket allows public read");
    expect(record!.attributes).toMatchObject({
      "detection.id": "arn:aws:securityhub:eu-west-1:123456789012:finding/1",
      "detection.category": "software_and_configuration_checks_aws_security_best_practices",
      "detection.source.product": "Security Hub",
      "ocsf.class_uid": 2001,
    });
    expect(record!.attributes).not.toHaveProperty("detection.action");
  });

  it("gives Other (99) the default severity and counts it, unless severity_map names it", async () => {
    const unmapped = setup({ preset: "ocsf", default_severity: "low" });
    const [a] = await unmapped.run([fixture("ocsf/detection-finding-other-severity.json")]);
    expect(a!.severityText).toBe("Other");
    expect(a!.attributes["detection.severity"]).toBe("low");
    expect(a!.attributes["detection.severity_defaulted"]).toBe(true);
    expect(a!.attributes["detection.action"]).toBe("observed");
    expect(await unmapped.counter("tripline_detection_unknown_severity")).toBe(1);

    const mapped = setup({ preset: "ocsf", severity_map: { "99": "high" } });
    const [b] = await mapped.run([fixture("ocsf/detection-finding-other-severity.json")]);
    expect(b!.attributes["detection.severity"]).toBe("high");
    expect(b!.attributes).not.toHaveProperty("detection.severity_defaulted");
    expect(await mapped.counter("tripline_detection_unknown_severity")).toBe(0);
  });

  it("grades every severity_id", async () => {
    const { run } = setup({ preset: "ocsf" });
    const base = fixture("ocsf/detection-finding-other-severity.json");
    const table: [number, string, string][] = [
      [0, "info", "Unknown"],
      [1, "info", "Informational"],
      [2, "low", "Low"],
      [3, "medium", "Medium"],
      [4, "high", "High"],
      [5, "critical", "Critical"],
      [6, "critical", "Fatal"],
      [99, "info", "Other"],
    ];
    const out = await run(table.map(([id]) => ({ ...base, severity_id: id, severity: null })));
    expect(
      out.map((r, i) => [table[i]![0], r.attributes["detection.severity"], r.severityText]),
    ).toEqual(table);
    expect(out.map((r) => r.attributes["detection.severity_defaulted"] ?? false)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it("maps disposition_id, falling back to action_id", async () => {
    const { run } = setup({ preset: "ocsf" });
    const base = fixture("ocsf/detection-finding-other-severity.json");
    const out = await run([
      { ...base, disposition_id: 1, disposition: "Allowed" },
      { ...base, disposition_id: 11, disposition: "Corrected" },
      { ...base, disposition_id: 18, disposition: "Tagged" },
      { ...base, disposition_id: null, action_id: 2 },
    ]);
    expect(out.map((r) => r.attributes["detection.action"])).toEqual([
      "allowed",
      "redacted",
      "tagged",
      "blocked",
    ]);
  });

  it("flags a class it does not read", async () => {
    const { run } = setup({ preset: "ocsf" });
    const [record] = await run([{ class_uid: 3002, time: 1 }]);
    expect(record!.attributes["detection.mapping_error"]).toBe(
      "ocsf: class_uid 3002 is not supported; expected 2004 (Detection Finding) or 2001 (Security Finding)",
    );
  });
});
