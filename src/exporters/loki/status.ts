/**
 * Why Loki refused a push (HTTP 400), from the first error in its body, named like the reasons
 * of Loki's `loki_discarded_samples_total{reason}` so the two can be compared.
 */
const REASONS: [RegExp, string][] = [
  [/too far behind/i, "too_far_behind"],
  [/out of order/i, "out_of_order"],
  [/line too long|max entry size/i, "line_too_long"],
  [/timestamp too old|greater_than_max_sample_age/i, "greater_than_max_sample_age"],
  [/timestamp too new|too far in future|too_far_in_future/i, "too_far_in_future"],
  [/label names; limit|max_label_names_per_series/i, "max_label_names_per_series"],
  [/at least one label pair|missing_labels/i, "missing_labels"],
  [/structured metadata/i, "structured_metadata"],
  [/label name .* too long|label value .* too long/i, "label_too_long"],
  [/invalid label|error parsing labels|invalid_labels/i, "invalid_labels"],
];

export function rejectionReason(body: string): string {
  for (const [pattern, reason] of REASONS) if (pattern.test(body)) return reason;
  return "other";
}
