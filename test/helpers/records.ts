import type { LogRecord } from "../../src/pdata/logs.js";
import type { Resource } from "../../src/pdata/resource.js";

const resource: Resource = { attributes: { "service.name": "test" } };

export function logRecord(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    time: 1_795_165_200_123_456_789n,
    observedTime: 1_795_165_200_223_456_789n,
    severityNumber: 17,
    severityText: "high",
    eventName: "security.detection",
    body: { title: "prompt injection blocked" },
    attributes: { "detection.severity": "high" },
    resource,
    scope: { name: "tripline/test" },
    ...overrides,
  };
}

export function logRecords(n: number): LogRecord[] {
  return Array.from({ length: n }, (_, i) => logRecord({ attributes: { i } }));
}
