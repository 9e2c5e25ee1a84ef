import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

/**
 * One log record, flat: resource and scope are references shared by the records of a batch,
 * so a processor touches one object per record and encoders regroup by reference.
 * Times are nanoseconds since the epoch as bigint, so nanosecond precision survives end to end.
 */
export interface LogRecord {
  time: bigint;
  observedTime: bigint;
  severityNumber: number;
  severityText: string;
  eventName?: string;
  body: AnyValue;
  attributes: Attributes;
  traceId?: string;
  spanId?: string;
  flags?: number;
  droppedAttributesCount?: number;
  resource: Resource;
  scope: Scope;
}

export type LogBatch = LogRecord[];

export const DETECTION_EVENT_NAME = "security.detection";

export function nowNanos(): bigint {
  // Date.now() is ms; performance.timeOrigin + now() gives sub-ms precision.
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export function cloneLogRecord(record: LogRecord): LogRecord {
  return {
    ...record,
    attributes: structuredClone(record.attributes),
    body: structuredClone(record.body),
  };
}
