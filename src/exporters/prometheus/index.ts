/** What the remote write exporter shares with the scrape exporter: naming, labels, state. */
export { Accumulator, type Sample, type Series } from "./accumulator.js";
export { formatValue } from "./encode.js";
export {
  type Labels,
  labelsKey,
  type SeriesLabelOptions,
  seriesLabels,
  targetInfoLabels,
} from "./labels.js";
export { metricName, type NamingOptions } from "./naming.js";
