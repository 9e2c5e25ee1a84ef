/**
 * OTLP/protobuf codec for logs and metrics requests, their responses and google.rpc.Status,
 * built on protobufjs over the schema in otlp-proto-schema.ts (generated from
 * src/pdata/proto/*.proto, trimmed from open-telemetry/opentelemetry-proto). Logs requests, the
 * hot path, are read and written by hand with protobufjs' Reader and Writer; the rest uses
 * its reflection.
 *
 * Decoding meets untrusted bytes: malformed input throws a PermanentError that names the
 * offending field, which a receiver answers with 400 / INVALID_ARGUMENT. Unknown fields are
 * skipped, as protobuf requires. Times stay bigint nanoseconds; IDs become lowercase hex.
 */
import { PermanentError } from "../component/errors.js";
import type { LogBatch } from "./logs.js";
import {
  decodeMessage,
  failAt,
  type LongLike,
  messageType,
  toLong,
  uint64,
} from "./otlp-proto-common.js";
import { readLogsRequest } from "./otlp-proto-logs-decode.js";
import { writeLogsRequest } from "./otlp-proto-logs-encode.js";

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

/**
 * Decodes an ExportLogsServiceRequest into a flat batch. Records of one ResourceLogs share one
 * Resource object and records of one ScopeLogs one Scope, so re-encoding regroups them alike.
 * Hand-written over protobufjs' Reader (otlp-proto-logs-decode.ts): the reflective decoder's
 * per-value objects dominated a passthrough's CPU.
 */
export function decodeLogsProto(buf: Uint8Array): LogBatch {
  let result: ReturnType<typeof readLogsRequest>;
  try {
    result = readLogsRequest(buf);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PermanentError(`invalid ${LogsRequest.name} protobuf: ${reason}`);
  }
  if ("batch" in result) return result.batch;
  return failAt(result.path, result.message);
}

/** Hand-written onto protobufjs' Writer (otlp-proto-logs-encode.ts), byte for byte as before. */
export function encodeLogsProto(batch: LogBatch): Uint8Array {
  return writeLogsRequest(batch);
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
