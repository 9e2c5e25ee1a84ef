/**
 * OTLP → Prometheus names, following the Collector's translator (pkg/translator/prometheus)
 * with `add_metric_suffixes`: names split on anything that is not a letter or digit and joined
 * with "_", the unit appended as a word, monotonic counters ending in `_total`. Shared by the
 * `prometheus` and `prometheusremotewrite` exporters so both name a metric the same way.
 */
import type { Metric } from "../../pdata/metrics.js";

/** UCUM units the OTel SDKs use, as Prometheus base-unit words. */
const UNIT_WORDS: Record<string, string> = {
  d: "days",
  h: "hours",
  min: "minutes",
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  TiBy: "tibibytes",
  KBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  TBy: "terabytes",
  m: "meters",
  V: "volts",
  A: "amperes",
  J: "joules",
  W: "watts",
  g: "grams",
  Cel: "celsius",
  Hz: "hertz",
  "%": "percent",
  $: "dollars",
  USD: "dollars",
};

const PER_UNIT_WORDS: Record<string, string> = {
  s: "second",
  m: "minute",
  h: "hour",
  d: "day",
  w: "week",
  mo: "month",
  y: "year",
};

export interface NamingOptions {
  namespace?: string;
  addMetricSuffixes: boolean;
}

function words(text: string): string[] {
  return text.split(/[^a-zA-Z0-9]+/).filter((w) => w !== "");
}

/** A unit word, or "" for annotations in braces ({detection}) and unknown units. */
function unitWords(unit: string): string[] {
  const cleaned = unit.replace(/\{[^}]*\}/g, "").trim();
  if (cleaned === "" || cleaned === "1") return [];
  const [main = "", per] = cleaned.split("/", 2);
  const out: string[] = [];
  const mainWord = UNIT_WORDS[main] ?? (/^[a-zA-Z0-9]+$/.test(main) ? main : "");
  if (mainWord) out.push(mainWord);
  if (per !== undefined) {
    const perWord = PER_UNIT_WORDS[per] ?? (/^[a-zA-Z0-9]+$/.test(per) ? per : "");
    if (perWord) out.push("per", perWord);
  }
  return out;
}

export function isCounter(metric: Metric): boolean {
  return metric.data.type === "sum" && metric.data.monotonic;
}

/** The Prometheus name of a metric: `[namespace_]name[_unit][_total]`. */
export function metricName(metric: Metric, options: NamingOptions): string {
  if (!options.addMetricSuffixes) {
    return sanitizeMetricName(
      options.namespace ? `${options.namespace}_${metric.name}` : metric.name,
    );
  }
  let tokens = words(metric.name);
  const unit = unitWords(metric.unit ?? "");
  // The unit is appended only when the name does not already say it ("duration_seconds").
  if (unit.length > 0 && !tokens.join("_").endsWith(unit.join("_"))) tokens.push(...unit);
  if (metric.unit === "1" && metric.data.type === "gauge" && !tokens.includes("ratio")) {
    tokens.push("ratio");
  }
  if (isCounter(metric)) {
    tokens = tokens.filter((t) => t !== "total");
    tokens.push("total");
  }
  if (options.namespace) tokens.unshift(...words(options.namespace));
  return sanitizeMetricName(tokens.join("_"));
}

/** `[a-zA-Z_:][a-zA-Z0-9_:]*`: anything else becomes "_", a leading digit gets a "_" prefix. */
export function sanitizeMetricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/__+/g, "_");
  if (clean === "") return "_";
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

/**
 * `[a-zA-Z_][a-zA-Z0-9_]*`, dots and other characters → "_" (`service.name` → `service_name`);
 * a leading digit gets the Collector's `key_` prefix.
 */
export function sanitizeLabelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  if (clean === "") return "key_empty";
  return /^[0-9]/.test(clean) ? `key_${clean}` : clean;
}
