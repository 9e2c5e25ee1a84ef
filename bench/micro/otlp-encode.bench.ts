/**
 * OTLP/protobuf serialization of a 500-record batch of ~1 KB detections: Tripline's
 * encodeLogsProto against @opentelemetry/otlp-transformer's ProtobufLogsSerializer, fed the
 * same records as SDK ReadableLogRecords. Both outputs are checked to decode to the same
 * request before timing. Run: npx vitest bench --run bench/micro/otlp-encode.bench.ts
 */

import { ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import { bench, describe } from "vitest";
import type { LogBatch, LogRecord } from "../../src/pdata/logs.js";
import { decodeLogsProto, encodeLogsProto } from "../../src/pdata/otlp-proto.js";
import type { Resource } from "../../src/pdata/resource.js";

const N = 500;
const T0 = 1_795_165_200_000_000_000n;
const CATEGORIES = ["prompt_injection", "jailbreak", "data_exfiltration", "tool_poisoning"];

const resourceAttributes = {
  "service.name": "support-bot",
  "deployment.environment.name": "prod",
  "k8s.cluster.name": "eu-1",
  "k8s.namespace.name": "agents",
};

function attributes(i: number) {
  return {
    "detection.id": `71dfd7ad-912f-4ee8-a284-${String(i).padStart(12, "0")}`,
    "detection.severity": i % 5 === 0 ? "critical" : "high",
    "detection.category": CATEGORIES[i % CATEGORIES.length]!,
    "detection.action": i % 2 ? "blocked" : "flagged",
    "detection.rule.id": `R-${1000 + (i % 50)}`,
    "detection.rule.name": "instruction override in user turn",
    "detection.score": 0.5 + (i % 50) / 100,
    "detection.taxonomy.owasp_llm": ["LLM01:2025"],
    "gen_ai.agent.name": "support-bot",
    "gen_ai.agent.id": `asst_${i}`,
    "gen_ai.tool.name": "crm.lookup",
    "mcp.method.name": "tools/call",
    "user.id": `u-${i % 97}`,
    "detection.source.product": "operant",
  };
}

const body = (i: number) =>
  `prompt injection blocked on support-bot: the user turn ${i} asked the assistant to ignore ` +
  "its previous instructions and reveal the system prompt, then to call crm.lookup for every " +
  "customer record and paste the results into the chat. The request matched rule R-1003 " +
  "(instruction override) with score 0.97 and was blocked before the model saw it.";

const resource: Resource = { attributes: resourceAttributes };
const scope = { name: "tripline/receiver/detections", version: "0.1.0" };
const ours: LogBatch = Array.from(
  { length: N },
  (_, i): LogRecord => ({
    time: T0 + BigInt(i) * 1_000_000n,
    observedTime: T0 + BigInt(i) * 1_000_000n + 5_000n,
    severityNumber: 17,
    severityText: "high",
    eventName: "security.detection",
    body: body(i),
    attributes: attributes(i),
    traceId: "5b8efff798038103d269b633813fc60c",
    spanId: "eee19b7ec3c1b174",
    flags: 1,
    resource,
    scope,
  }),
);

const memory = new InMemoryLogRecordExporter();
const provider = new LoggerProvider({
  resource: resourceFromAttributes(resourceAttributes),
  processors: [new SimpleLogRecordProcessor({ exporter: memory })],
});
const logger = provider.getLogger(scope.name, scope.version);
for (const [i, r] of ours.entries()) {
  logger.emit({
    eventName: r.eventName,
    timestamp: [Number(r.time / 1_000_000_000n), Number(r.time % 1_000_000_000n)],
    observedTimestamp: [
      Number(r.observedTime / 1_000_000_000n),
      Number(r.observedTime % 1_000_000_000n),
    ],
    severityNumber: 17,
    severityText: "high",
    body: body(i),
    attributes: attributes(i),
  });
}
await provider.forceFlush();
const sdkRecords: ReadableLogRecord[] = memory.getFinishedLogRecords();

// Same request either way (trace context aside, which the SDK takes from a span context).
const fromSdk = decodeLogsProto(ProtobufLogsSerializer.serializeRequest(sdkRecords)!);
const fromOurs = decodeLogsProto(encodeLogsProto(ours));
if (fromSdk.length !== N || fromOurs.length !== N) {
  throw new Error(
    `record count differs: ${sdkRecords.length} ${fromSdk.length} ${fromOurs.length}`,
  );
}
for (let i = 0; i < N; i++) {
  const a = fromSdk[i]!;
  const b = fromOurs[i]!;
  if (
    a.time !== b.time ||
    a.body !== b.body ||
    JSON.stringify(a.attributes) !== JSON.stringify(b.attributes)
  ) {
    throw new Error(`record ${i} differs between the two serializers`);
  }
}
const bytes = encodeLogsProto(ours).length;
console.log(`batch: ${N} records, ${bytes} bytes of protobuf (~${Math.round(bytes / N)} B/record)`);

describe(`OTLP/protobuf encode, ${N} detections`, () => {
  bench("tripline encodeLogsProto (LogRecord[])", () => {
    encodeLogsProto(ours);
  });
  bench("otlp-transformer ProtobufLogsSerializer (ReadableLogRecord[])", () => {
    ProtobufLogsSerializer.serializeRequest(sdkRecords);
  });
});
