import { isDeepStrictEqual } from "node:util";
import type { LogRecord } from "../pdata/logs.js";
import type { Metric } from "../pdata/metrics.js";
import type { ExpectedRecord } from "./spec.js";

/** Makes values comparable with what YAML can express: bigints as numbers, bytes as base64. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const show = (value: unknown) => JSON.stringify(plain(value)) ?? "undefined";

function scalarField(record: LogRecord, field: keyof ExpectedRecord): unknown {
  switch (field) {
    case "body":
      return record.body;
    case "severity_number":
      return record.severityNumber;
    case "severity_text":
      return record.severityText;
    case "event_name":
      return record.eventName;
    case "trace_id":
      return record.traceId;
    case "span_id":
      return record.spanId;
    default:
      return undefined;
  }
}

function diffMap(
  label: string,
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  exact: boolean,
): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    if (!(key in actual)) out.push(`${label}["${key}"]: expected ${show(want)}, missing`);
    else if (!isDeepStrictEqual(plain(actual[key]), plain(want))) {
      out.push(`${label}["${key}"]: expected ${show(want)}, got ${show(actual[key])}`);
    }
  }
  if (exact) {
    for (const key of Object.keys(actual)) {
      if (!(key in expected)) out.push(`${label}["${key}"]: unexpected ${show(actual[key])}`);
    }
  }
  return out;
}

/**
 * Field-by-field differences between an expected and an actual record; empty when they match.
 * `exact` also reports attributes the record has but the expectation does not list.
 */
export function diffRecord(expected: ExpectedRecord, actual: LogRecord, exact: boolean): string[] {
  const out: string[] = [];
  for (const field of Object.keys(expected) as (keyof ExpectedRecord)[]) {
    if (field === "attributes") {
      out.push(...diffMap("attributes", expected.attributes ?? {}, actual.attributes, exact));
    } else if (field === "resource") {
      out.push(
        ...diffMap(
          "resource.attributes",
          expected.resource ?? {},
          actual.resource.attributes,
          exact,
        ),
      );
    } else {
      const got = scalarField(actual, field);
      if (!isDeepStrictEqual(plain(got), plain(expected[field]))) {
        out.push(`${field}: expected ${show(expected[field])}, got ${show(got)}`);
      }
    }
  }
  return out;
}

export interface PointView {
  name: string;
  attributes: Record<string, unknown>;
  value: number;
}

/** Flattens metrics to one entry per data point (histograms report their count). */
export function dataPoints(metrics: Metric[]): PointView[] {
  return metrics.flatMap((m) =>
    m.data.points.map((p) => ({
      name: m.name,
      attributes: p.attributes as Record<string, unknown>,
      value: "value" in p ? p.value : p.count,
    })),
  );
}

export { show };
