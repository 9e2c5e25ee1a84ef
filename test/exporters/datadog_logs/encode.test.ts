import { describe, expect, it } from "vitest";
import { DEFAULT_TAG_ATTRIBUTES } from "../../../src/exporters/datadog_logs/config.js";
import {
  type LogEncodeOptions,
  packBatches,
  serializeLog,
  toDatadogLog,
} from "../../../src/exporters/datadog_logs/encode.js";
import { datadogStatusOfRecord as datadogStatusOf } from "../../../src/exporters/datadog_logs/status.js";
import { logRecord } from "../../helpers/records.js";
import { execlaveTrace, falcoAlert, operantDetection } from "../datadog/helpers.js";

const defaults: LogEncodeOptions = {
  tags: [],
  tagAttributes: DEFAULT_TAG_ATTRIBUTES,
  maxEntryBytes: 1_000_000,
};

describe("toDatadogLog", () => {
  it("writes an operant detection as one structured log with dotted attribute keys", () => {
    expect(toDatadogLog(operantDetection(), defaults)).toEqual({
      ddsource: "operant",
      ddtags:
        "env:production,service:billing-agent-svc,team:payments,cluster:prod-us-east-1," +
        "severity:high,category:data_exfiltration,action:blocked",
      service: "billing-agent-svc",
      message: "data_exfiltration blocked on agent billing-agent",
      status: "error",
      timestamp: 1795165200123,
      "otel.severity_text": "high",
      "otel.severity_number": 17,
      "otel.event_name": "security.detection",
      "service.name": "billing-agent-svc",
      "deployment.environment.name": "production",
      "k8s.cluster.name": "prod-us-east-1",
      "k8s.namespace.name": "support",
      "k8s.pod.name": "billing-agent-9552f",
      team: "payments",
      "detection.id": "71dfd7ad-912f-4ee8-a284-fd2d7008dda6",
      "detection.severity": "high",
      "detection.category": "data_exfiltration",
      "detection.action": "blocked",
      "detection.surface": "mcp_tool",
      "detection.confidence": 0.9,
      "detection.taxonomy.owasp_llm": ["LLM02:2025"],
      "detection.policy.name": "default-trust-zone",
      "detection.source.product": "operant",
      "detection.source.vendor": "operant",
      "gen_ai.agent.id": "billing-agent",
      "gen_ai.tool.name": "read_file",
      "mcp.server.name": "mcp-postgres",
      "user.id": "user-495",
      "session.id": "71372c9c634045ef",
      "http.request.method": "POST",
      "url.path": "/v1/payments/{id}",
    });
  });

  it("keeps the log level in status and moves execlave's trace status to execlave.status", () => {
    const log = toDatadogLog(execlaveTrace("flagged_for_review"), defaults);
    // Datadog's status remapper would read "flagged_for_review" as emerg (it starts with f).
    expect(log.status).toBe("warn");
    expect(log["execlave.status"]).toBe("flagged_for_review");
    expect(log.ddsource).toBe("execlave");
    expect(log.message).toBe("chat.completions flagged_for_review");
    // Vendor fields stay plain top-level attributes with their JSON types.
    expect(log).toMatchObject({
      trace_id: "071dfd7a-d912-4fee-a828-4fd2d7008dda",
      agent_id: "support-bot",
      agent_name: "Support Bot",
      model: "claude-sonnet-4",
      total_tokens: 967,
      cost_usd: 0.004668,
      duration_ms: 2805,
      environment: "staging",
      span_type: "llm",
      span_name: "chat.completions",
      autonomy_level: "suggest_only",
      agent_status: "active",
      idp_bound: true,
      "gen_ai.usage.input_tokens": 667,
    });
    expect(log.ddtags).toBe(
      "env:staging,service:agents,severity:medium,category:policy_violation,action:flagged_for_review",
    );
  });

  it("writes W3C trace context as hex plus Datadog's decimal low 64 bits (falco alert)", () => {
    const log = toDatadogLog(falcoAlert(), defaults);
    expect(log).toMatchObject({
      ddsource: "falco",
      hostname: "node-3",
      status: "critical",
      trace_id: "5b8efff798038103d269b633813fc60c",
      span_id: "eee19b7ec3c1b174",
      "dd.trace_id": "15161849952847513100",
      "dd.span_id": "17213210219539181940",
      "security_rule.name": "Terminal shell in container",
      "detection.taxonomy.mitre_attack": ["T1059"],
    });
    expect(log.service).toBeUndefined();
    expect(log.ddtags).toBe(
      "cluster:prod-eu-west-1,severity:critical,category:runtime_threat,action:observed",
    );
  });

  it("moves a vendor trace_id aside when the record carries W3C trace context", () => {
    const record = { ...execlaveTrace(), traceId: "0af7651916cd43dd8448eb211c80319c" };
    const log = toDatadogLog(record, defaults);
    expect(log.trace_id).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(log["execlave.trace_id"]).toBe("071dfd7a-d912-4fee-a828-4fd2d7008dda");
  });

  it("lets configured service, source, hostname and tags win", () => {
    const log = toDatadogLog(operantDetection(), {
      ...defaults,
      service: "detections",
      source: "ai-security",
      hostname: "gw-1",
      tags: ["team:secops", "tier:1"],
      tagAttributes: { env: ["nope", "deployment.environment.name"], agent: "gen_ai.agent.id" },
    });
    expect(log).toMatchObject({ service: "detections", ddsource: "ai-security", hostname: "gw-1" });
    // A reserved name moved aside keeps the producing vendor's namespace.
    const trace = toDatadogLog(execlaveTrace(), { ...defaults, source: "ai-security" });
    expect(trace["execlave.status"]).toBe("policy_blocked");
    expect(log.ddtags).toBe("team:secops,tier:1,env:production,agent:billing-agent");
  });

  it("keeps commas out of tag values and leaves absent tags out", () => {
    const record = logRecord({
      attributes: { "detection.category": "a,b", "detection.action": "" },
    });
    const log = toDatadogLog(record, { ...defaults, tagAttributes: DEFAULT_TAG_ATTRIBUTES });
    expect(log.ddtags).toBe("service:test,category:a_b");
  });

  it("converts values Datadog cannot take as JSON", () => {
    const record = logRecord({
      body: { title: "t", n: 2n },
      attributes: { big: 2n ** 70n, small: 5n, bytes: new Uint8Array([1, 2, 3]), nan: Number.NaN },
    });
    const log = toDatadogLog(record, defaults);
    expect(log.message).toBe('{"title":"t","n":2}');
    expect(log).toMatchObject({
      big: "1180591620717411303424",
      small: 5,
      bytes: "AQID",
      nan: "NaN",
    });
  });

  it("uses observedTime when the record has no time", () => {
    const log = toDatadogLog(
      logRecord({ time: 0n, observedTime: 1_700_000_000_999_999_999n }),
      defaults,
    );
    expect(log.timestamp).toBe(1_700_000_000_999);
  });
});

describe("datadogStatusOf", () => {
  it.each([
    ["info", 9, "info"],
    ["low", 13, "warn"],
    ["medium", 14, "warn"],
    ["high", 17, "error"],
    ["critical", 21, "critical"],
  ])("maps detection severity %s (%i) to %s", (severity, severityNumber, status) => {
    const record = { severityNumber, attributes: { "detection.severity": severity } };
    expect(datadogStatusOf(record)).toBe(status);
    // The number alone decides when both are present.
    expect(datadogStatusOf({ severityNumber, attributes: {} })).toBe(status);
  });

  it.each([
    [1, "debug"],
    [4, "debug"],
    [5, "debug"],
    [12, "info"],
    [16, "warn"],
    [20, "error"],
    [24, "critical"],
  ])("maps severityNumber %i to %s", (severityNumber, status) => {
    expect(datadogStatusOf({ severityNumber, attributes: {} })).toBe(status);
  });

  it("falls back to detection.severity, then info, when severityNumber is unset", () => {
    expect(
      datadogStatusOf({ severityNumber: 0, attributes: { "detection.severity": "high" } }),
    ).toBe("error");
    expect(datadogStatusOf({ severityNumber: 0, attributes: {} })).toBe("info");
  });
});

describe("serializeLog", () => {
  const size = (json: string) => Buffer.byteLength(json);

  it("leaves a log within the limit untouched", () => {
    const log = toDatadogLog(operantDetection(), defaults);
    const out = serializeLog(log, 1_000_000);
    expect(out.truncated).toBe(false);
    expect(JSON.parse(out.json)).toEqual(log);
  });

  it("drops the largest attributes of an oversized log and marks it", () => {
    const log = toDatadogLog(
      operantDetection({
        attributes: {
          ...operantDetection().attributes,
          "evidence.prompt": "x".repeat(50_000),
          "evidence.response": "y".repeat(30_000),
        },
      }),
      defaults,
    );
    const out = serializeLog(log, 40_000);
    const parsed = JSON.parse(out.json);
    expect(out.truncated).toBe(true);
    expect(size(out.json)).toBeLessThanOrEqual(40_000);
    expect(parsed["tripline.truncated"]).toBe(true);
    expect(parsed["tripline.dropped_attributes"]).toEqual(["evidence.prompt"]);
    expect(parsed["evidence.response"]).toHaveLength(30_000);
    expect(parsed).toMatchObject({
      message: log.message,
      status: "error",
      ddsource: "operant",
      "detection.id": "71dfd7ad-912f-4ee8-a284-fd2d7008dda6",
    });
  });

  it("shortens a huge message and keeps the attributes", () => {
    const log = toDatadogLog(operantDetection({ body: "é".repeat(200_000) }), defaults);
    const out = serializeLog(log, 50_000);
    const parsed = JSON.parse(out.json);
    expect(size(out.json)).toBeLessThanOrEqual(50_000);
    expect(parsed.message.length).toBeGreaterThan(1000);
    expect(parsed.message.endsWith("…")).toBe(true);
    expect(parsed["tripline.dropped_attributes"]).toBeUndefined();
    expect(parsed["detection.category"]).toBe("data_exfiltration");
  });

  it("fits even when escaping inflates the message", () => {
    const log = toDatadogLog(operantDetection({ body: "\u0001".repeat(100_000) }), defaults);
    const out = serializeLog(log, 20_000);
    expect(size(out.json)).toBeLessThanOrEqual(20_000);
    expect(JSON.parse(out.json)["tripline.truncated"]).toBe(true);
  });
});

describe("packBatches", () => {
  const entry = (i: number, pad = 0) => JSON.stringify({ i, pad: "p".repeat(pad) });
  const bodyBytes = (group: string[]) => Buffer.byteLength(`[${group.join(",")}]`);

  it("splits on the entry limit, keeping order", () => {
    const entries = Array.from({ length: 25 }, (_, i) => entry(i));
    const batches = packBatches(entries, 10, 1_000_000);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(entries);
  });

  it("splits on the byte limit, counting brackets and commas", () => {
    const entries = Array.from({ length: 40 }, (_, i) => entry(i, 90));
    const max = 1000;
    const batches = packBatches(entries, 1000, max);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(bodyBytes(batch)).toBeLessThanOrEqual(max);
    // Each batch is full: one more entry would not have fitted.
    for (let i = 0; i < batches.length - 1; i++) {
      expect(bodyBytes([...batches[i]!, batches[i + 1]![0]!])).toBeGreaterThan(max);
    }
    expect(batches.flat()).toEqual(entries);
  });
});
