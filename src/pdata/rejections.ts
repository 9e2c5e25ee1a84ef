/**
 * Items a decoder left out because Tripline's data model cannot carry them (e.g. summary
 * metrics). A receiver reports them to the sender as OTLP partial success, so nothing is
 * dropped silently and the sender knows not to retry them.
 */
export class Rejections {
  count = 0;
  private readonly reasons = new Set<string>();

  add(count: number, reason: string): void {
    if (count <= 0) return;
    this.count += count;
    this.reasons.add(reason);
  }

  /** Distinct reasons, in first-seen order, for the partial-success error message. */
  get message(): string {
    return [...this.reasons].join("; ");
  }
}

/** `AggregationTemporality` values the model holds; 0 (unspecified) and unknown ones it cannot. */
export function temporalityOf(value: number | undefined): "delta" | "cumulative" | undefined {
  if (value === 1) return "delta";
  if (value === 2) return "cumulative";
  return undefined;
}

/** OTLP's `DataPointFlags.NO_RECORDED_VALUE`: a staleness marker the model has no field for. */
export const NO_RECORDED_VALUE = 1;

/** Reasons shared by the JSON and protobuf decoders, so both report the same message. */
export const REJECTED = {
  exponentialHistogram: "exponential_histogram metrics are not supported",
  summary: "summary metrics are not supported",
  temporality: (metric: string) =>
    `metric "${metric}": aggregation_temporality must be 1 (delta) or 2 (cumulative)`,
  noValue: (metric: string) => `metric "${metric}": data point without a value`,
  noRecordedValue: (metric: string) =>
    `metric "${metric}": data points flagged no_recorded_value are not supported`,
  buckets: (metric: string) =>
    `metric "${metric}": bucket_counts must have one more entry than explicit_bounds`,
};

/** Bucket counts are either absent (count and sum only) or one per bound plus +Inf. */
export function validBuckets(bucketCounts: number, explicitBounds: number): boolean {
  return bucketCounts === 0 || bucketCounts === explicitBounds + 1;
}
