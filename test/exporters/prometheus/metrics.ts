import type {
  HistogramDataPoint,
  Metric,
  NumberDataPoint,
  Temporality,
} from "../../../src/pdata/metrics.js";
import type { Resource } from "../../../src/pdata/resource.js";

/** Hand-built detection metrics, shaped as the detection_metrics connector will emit them. */
export const SCOPE = { name: "tripline/test" };

export function resource(service: string, extra: Record<string, string> = {}): Resource {
  return {
    attributes: {
      "service.name": service,
      "service.instance.id": `${service}-0`,
      "deployment.environment.name": "prod",
      ...extra,
    },
  };
}

export function ms(n: number): bigint {
  return BigInt(n) * 1_000_000n;
}

export function point(
  attributes: Record<string, string>,
  value: number,
  start: bigint,
  time: bigint,
): NumberDataPoint {
  return { attributes, value, startTime: start, time };
}

export function detections(
  res: Resource,
  temporality: Temporality,
  points: NumberDataPoint[],
): Metric {
  return {
    name: "detections",
    description: "Security detections seen, by severity, category and action.",
    unit: "{detection}",
    data: { type: "sum", temporality, monotonic: true, points },
    resource: res,
    scope: SCOPE,
  };
}

export function latency(
  res: Resource,
  temporality: Temporality,
  points: HistogramDataPoint[],
): Metric {
  return {
    name: "detection.latency",
    description: "Time from the event to its detection.",
    unit: "s",
    data: { type: "histogram", temporality, points },
    resource: res,
    scope: SCOPE,
  };
}

export function histogramPoint(
  attributes: Record<string, string>,
  bucketCounts: number[],
  sum: number,
  start: bigint,
  time: bigint,
): HistogramDataPoint {
  return {
    attributes,
    startTime: start,
    time,
    count: bucketCounts.reduce((a, b) => a + b, 0),
    sum,
    explicitBounds: [0.1, 0.5, 1],
    bucketCounts,
  };
}

export function gauge(
  res: Resource,
  name: string,
  unit: string,
  points: NumberDataPoint[],
): Metric {
  return {
    name,
    description: `${name} gauge`,
    unit,
    data: { type: "gauge", points },
    resource: res,
    scope: SCOPE,
  };
}
