/**
 * OTLP/protobuf codec for logs and metrics requests, their responses and google.rpc.Status,
 * built on protobufjs reflection over the schema in otlp-proto-schema.ts (generated from
 * src/pdata/proto/*.proto, trimmed from open-telemetry/opentelemetry-proto).
 *
 * Decoding meets untrusted bytes: malformed input throws a PermanentError that names the
 * offending field, which a receiver answers with 400 / INVALID_ARGUMENT. Unknown fields are
 * skipped, as protobuf requires. Times stay bigint nanoseconds; IDs become lowercase hex.
 */
import type { LogBatch, LogRecord } from "./logs.js";
import { groupByResourceAndScope } from "./otlp-json.js";
import {
  decodeAnyValue,
  decodeAttributes,
  decodeMessage,
  decodeResource,
  decodeScope,
  encodeAnyValue,
  encodeAttributes,
  encodeResource,
  encodeScope,
  failAt,
  type LongLike,
  messageType,
  type PbAnyValue,
  type PbKeyValue,
  type PbResource,
  type PbScope,
  toLong,
  uint64,
} from "./otlp-proto-common.js";

export {
  decodeMetricsProto,
  encodeMetricsProto,
} from "./otlp-proto-metrics.js";

const LogsRequest = messageType("opentelemetry.proto.logs.v1.ExportLogsServiceRequest");
const LogsResponse = messageType("opentelemetry.proto.logs.v1.ExportLogsServiceResponse");
const MetricsResponse = messageType("opentelemetry.proto.metrics.v1.ExportMetricsServiceResponse");
const Status = messageType("google.rpc.Status");
const RetryInfo = messageType("google.rpc.RetryInfo");

export const RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo";

interface PbLogRecord {
  timeUnixNano?: LongLike;
  observedTimeUnixNano?: LongLike;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: PbAnyValue | null;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
}

interface PbLogsRequest {
  resourceLogs?: {
    resource?: PbResource | null;
    schemaUrl?: string;
    scopeLogs?: { scope?: PbScope | null; logRecords?: PbLogRecord[] }[];
  }[];
}

function idHex(
  bytes: Uint8Array | undefined,
  size: number,
  path: () => string,
): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  if (bytes.length !== size) failAt(path(), `expected ${size} bytes, got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Decodes an ExportLogsServiceRequest into a flat batch. Records of one ResourceLogs share one
 * Resource object and records of one ScopeLogs one Scope, so re-encoding regroups them alike.
 */
export function decodeLogsProto(buf: Uint8Array): LogBatch {
  const request = decodeMessage<PbLogsRequest>(LogsRequest, buf);
  const batch: LogBatch = [];
  (request.resourceLogs ?? []).forEach((rl, i) => {
    const resource = decodeResource(rl.resource, rl.schemaUrl);
    (rl.scopeLogs ?? []).forEach((sl, j) => {
      const scope = decodeScope(sl.scope);
      (sl.logRecords ?? []).forEach((lr, k) => {
        const at = (field: string) => () =>
          `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}].${field}`;
        const severityNumber = lr.severityNumber ?? 0;
        if (severityNumber < 0 || severityNumber > 24) {
          failAt(at("severityNumber")(), `expected 0-24, got ${severityNumber}`);
        }
        const record: LogRecord = {
          time: uint64(lr.timeUnixNano),
          observedTime: uint64(lr.observedTimeUnixNano),
          severityNumber,
          severityText: lr.severityText ?? "",
          body: decodeAnyValue(lr.body),
          attributes: decodeAttributes(lr.attributes),
          resource,
          scope,
        };
        if (lr.eventName) record.eventName = lr.eventName;
        const traceId = idHex(lr.traceId, 16, at("traceId"));
        if (traceId) record.traceId = traceId;
        const spanId = idHex(lr.spanId, 8, at("spanId"));
        if (spanId) record.spanId = spanId;
        if (lr.flags) record.flags = lr.flags;
        if (lr.droppedAttributesCount) record.droppedAttributesCount = lr.droppedAttributesCount;
        batch.push(record);
      });
    });
  });
  return batch;
}

function encodeLogRecord(record: LogRecord): PbLogRecord {
  const out: PbLogRecord = {
    timeUnixNano: toLong(record.time),
    observedTimeUnixNano: toLong(record.observedTime),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body: encodeAnyValue(record.body),
    attributes: encodeAttributes(record.attributes),
  };
  if (record.eventName) out.eventName = record.eventName;
  if (record.droppedAttributesCount) out.droppedAttributesCount = record.droppedAttributesCount;
  if (record.flags) out.flags = record.flags;
  if (record.traceId) out.traceId = Buffer.from(record.traceId, "hex");
  if (record.spanId) out.spanId = Buffer.from(record.spanId, "hex");
  return out;
}

export function encodeLogsProto(batch: LogBatch): Uint8Array {
  const request: PbLogsRequest = {
    resourceLogs: groupByResourceAndScope(batch).map(({ resource, scopes }) => ({
      resource: encodeResource(resource),
      schemaUrl: resource.schemaUrl ?? "",
      scopeLogs: scopes.map(({ scope, items }) => ({
        scope: encodeScope(scope),
        logRecords: items.map(encodeLogRecord),
      })),
    })),
  };
  return LogsRequest.encode(request).finish();
}

/** What an Export*ServiceResponse carries: nothing on full success. */
export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

function encodeResponse(
  type: typeof LogsResponse,
  rejectedField: string,
  partial: PartialSuccess | undefined,
): Uint8Array {
  if (!partial || (partial.rejected === 0 && !partial.errorMessage)) return new Uint8Array(0);
  return type
    .encode({
      partialSuccess: {
        [rejectedField]: toLong(BigInt(partial.rejected)),
        errorMessage: partial.errorMessage,
      },
    })
    .finish();
}

function decodeResponse(
  type: typeof LogsResponse,
  rejectedField: string,
  buf: Uint8Array,
): PartialSuccess | undefined {
  const response = decodeMessage<{ partialSuccess?: Record<string, unknown> | null }>(type, buf);
  const partial = response.partialSuccess;
  if (!partial) return undefined;
  return {
    rejected: Number(uint64(partial[rejectedField] as LongLike | undefined)),
    errorMessage: (partial.errorMessage as string | undefined) ?? "",
  };
}

export const encodeLogsResponse = (partial?: PartialSuccess) =>
  encodeResponse(LogsResponse, "rejectedLogRecords", partial);
export const decodeLogsResponse = (buf: Uint8Array) =>
  decodeResponse(LogsResponse, "rejectedLogRecords", buf);
export const encodeMetricsResponse = (partial?: PartialSuccess) =>
  encodeResponse(MetricsResponse, "rejectedDataPoints", partial);
export const decodeMetricsResponse = (buf: Uint8Array) =>
  decodeResponse(MetricsResponse, "rejectedDataPoints", buf);

/** google.rpc.Status: the body of an OTLP failure response, and gRPC's rich error details. */
export interface RpcStatus {
  code: number;
  message: string;
  /** google.rpc.RetryInfo.retry_delay, the throttling hint OTLP defines, in milliseconds. */
  retryDelayMs?: number;
}

export function encodeStatus(status: RpcStatus): Uint8Array {
  const details = [];
  if (status.retryDelayMs !== undefined) {
    const ms = Math.max(0, Math.round(status.retryDelayMs));
    const retryInfo = RetryInfo.encode({
      retryDelay: { seconds: toLong(BigInt(Math.floor(ms / 1000))), nanos: (ms % 1000) * 1e6 },
    }).finish();
    details.push({ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo });
  }
  return Status.encode({ code: status.code, message: status.message, details }).finish();
}

export function decodeStatus(buf: Uint8Array): RpcStatus {
  const pb = decodeMessage<{
    code?: number;
    message?: string;
    details?: { typeUrl?: string; value?: Uint8Array }[];
  }>(Status, buf);
  const status: RpcStatus = { code: pb.code ?? 0, message: pb.message ?? "" };
  const retry = pb.details?.find((d) => d.typeUrl === RETRY_INFO_TYPE_URL);
  if (retry?.value) {
    const info = decodeMessage<{ retryDelay?: { seconds?: LongLike; nanos?: number } | null }>(
      RetryInfo,
      retry.value,
    );
    const delay = info.retryDelay;
    status.retryDelayMs = Number(uint64(delay?.seconds)) * 1000 + (delay?.nanos ?? 0) / 1e6;
  }
  return status;
}
