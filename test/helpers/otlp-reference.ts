// protobufjs' reflective encoder over the OTLP schema: the reference the hand-written logs
// encoder (src/pdata/otlp-proto-logs-encode.ts) is checked against, byte for byte.
import type { LogBatch, LogRecord } from "../../src/pdata/logs.js";
import { groupByResourceAndScope } from "../../src/pdata/otlp-json.js";
import {
  encodeAnyValue,
  encodeAttributes,
  encodeResource,
  encodeScope,
  messageType,
  toLong,
} from "../../src/pdata/otlp-proto-common.js";

export const LogsRequest = messageType("opentelemetry.proto.logs.v1.ExportLogsServiceRequest");

/** The reflective encoder the hand-written one replaced. */
export function referenceEncode(batch: LogBatch): Uint8Array {
  const record = (r: LogRecord) => ({
    timeUnixNano: toLong(r.time),
    observedTimeUnixNano: toLong(r.observedTime),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: encodeAnyValue(r.body),
    attributes: encodeAttributes(r.attributes),
    ...(r.eventName ? { eventName: r.eventName } : {}),
    ...(r.droppedAttributesCount ? { droppedAttributesCount: r.droppedAttributesCount } : {}),
    ...(r.flags ? { flags: r.flags } : {}),
    ...(r.traceId ? { traceId: Buffer.from(r.traceId, "hex") } : {}),
    ...(r.spanId ? { spanId: Buffer.from(r.spanId, "hex") } : {}),
  });
  return LogsRequest.encode({
    resourceLogs: groupByResourceAndScope(batch).map(({ resource, scopes }) => ({
      resource: encodeResource(resource),
      schemaUrl: resource.schemaUrl ?? "",
      scopeLogs: scopes.map(({ scope, items }) => ({
        scope: encodeScope(scope),
        logRecords: items.map(record),
      })),
    })),
  }).finish();
}
