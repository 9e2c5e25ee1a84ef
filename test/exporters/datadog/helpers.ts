import { Writable } from "node:stream";
import type { Attributes, Meter } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import pino from "pino";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Resource } from "../../../src/pdata/resource.js";
import type { Attributes as RecordAttributes } from "../../../src/pdata/value.js";
import { RecordingTelemetry, testContext } from "../../helpers/context.js";

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

class MeteredTelemetry extends RecordingTelemetry {
  override readonly meter: Meter;
  constructor(readonly provider: MeterProvider) {
    super();
    this.meter = provider.getMeter("test");
  }
}

/**
 * A component context whose logs are captured (every line, debug and up, as pino writes it)
 * and whose meter can be read back, so tests see exactly what an operator would.
 */
export function observedContext(id: string) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const ctx = {
    ...testContext(id),
    logger: pino({ level: "debug" }, stream),
    telemetry: new MeteredTelemetry(provider),
  };
  /** The current value of a counter with exactly these attributes (0 when never added). */
  async function counter(name: string, attributes: Attributes): Promise<number> {
    const { resourceMetrics } = await reader.collect();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) {
          if (JSON.stringify(point.attributes) === JSON.stringify(attributes)) {
            return point.value as number;
          }
        }
      }
    }
    return 0;
  }
  return {
    ctx,
    lines,
    counter,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const NS_PER_MS = 1_000_000n;

/** 2026-11-20T09:00:00.123Z plus 456789 ns. */
export const DETECTED_AT_NS = 1_795_165_200_123n * NS_PER_MS + 456_789n;

/** A detection as the operant preset produces it (detection-model.md attributes). */
export function operantDetection(overrides: Partial<LogRecord> = {}): LogRecord {
  const resource: Resource = {
    attributes: {
      "service.name": "billing-agent-svc",
      "deployment.environment.name": "production",
      "k8s.cluster.name": "prod-us-east-1",
      "k8s.namespace.name": "support",
      "k8s.pod.name": "billing-agent-9552f",
      team: "payments",
    },
  };
  return {
    time: DETECTED_AT_NS,
    observedTime: DETECTED_AT_NS + 5_000_000n,
    severityNumber: 17,
    severityText: "high",
    eventName: "security.detection",
    body: "data_exfiltration blocked on agent billing-agent",
    attributes: {
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
    },
    resource,
    scope: { name: "tripline/detections" },
    ...overrides,
  };
}

/** An agent trace as the execlave preset produces it: vendor fields kept as plain attributes. */
export function execlaveTrace(status = "policy_blocked", extra: RecordAttributes = {}): LogRecord {
  return {
    time: 1_795_165_200_911n * NS_PER_MS,
    observedTime: 1_795_165_201_000n * NS_PER_MS,
    severityNumber: status === "policy_blocked" ? 17 : 14,
    severityText: status,
    eventName: "gen_ai.agent.trace",
    body: `chat.completions ${status}`,
    attributes: {
      "detection.severity": status === "policy_blocked" ? "high" : "medium",
      "detection.category": "policy_violation",
      "detection.action": status === "policy_blocked" ? "blocked" : "flagged_for_review",
      "detection.source.product": "execlave",
      "gen_ai.agent.id": "support-bot",
      "gen_ai.agent.name": "Support Bot",
      "gen_ai.request.model": "claude-sonnet-4",
      "gen_ai.usage.input_tokens": 667,
      "gen_ai.usage.output_tokens": 300,
      "gen_ai.usage.cost_usd": 0.004668,
      trace_id: "071dfd7a-d912-4fee-a828-4fd2d7008dda",
      agent_id: "support-bot",
      agent_name: "Support Bot",
      status,
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
      ...extra,
    },
    resource: {
      attributes: { "service.name": "agents", "deployment.environment.name": "staging" },
    },
    scope: { name: "tripline/detections" },
  };
}

/** A Falco alert as the falco preset produces it (priority Critical → critical). */
export function falcoAlert(): LogRecord {
  return {
    time: 1_795_165_300_000n * NS_PER_MS,
    observedTime: 1_795_165_300_010n * NS_PER_MS,
    severityNumber: 21,
    severityText: "Critical",
    eventName: "security.detection",
    body: "Shell spawned in a container with an attached terminal (user=root k8s.pod=web-7f9c)",
    attributes: {
      "detection.severity": "critical",
      "detection.category": "runtime_threat",
      "detection.action": "observed",
      "detection.surface": "k8s_workload",
      "detection.source.product": "falco",
      "security_rule.name": "Terminal shell in container",
      "security_rule.ruleset.name": "falco_rules.yaml",
      "detection.taxonomy.mitre_attack": ["T1059"],
      "k8s.pod.name": "web-7f9c",
    },
    traceId: "5b8efff798038103d269b633813fc60c",
    spanId: "eee19b7ec3c1b174",
    resource: { attributes: { "host.name": "node-3", "k8s.cluster.name": "prod-eu-west-1" } },
    scope: { name: "tripline/falco" },
  };
}
