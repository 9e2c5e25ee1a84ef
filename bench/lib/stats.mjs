/** The q-quantile (0..1) of unsorted numbers, nearest-rank; undefined when empty. */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function ratio(value, base) {
  return value === undefined || base === undefined || base === 0 ? undefined : value / base;
}
