/**
 * The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0, rendered from the
 * accumulator's series. Hand-written rather than through @opentelemetry/exporter-prometheus:
 * its serializer takes the SDK's ResourceMetrics (with SDK aggregation objects) and speaks
 * only the 0.0.4 text format, while our series are already accumulated pdata and scrapes
 * negotiate OpenMetrics too. The format is small and line based.
 */

import type { Series } from "./accumulator.js";
import type { Labels } from "./labels.js";

export type ExpositionFormat = "text" | "openmetrics";

export const CONTENT_TYPE: Record<ExpositionFormat, string> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/**
 * Picks the format from an Accept header by q-value: OpenMetrics when the scraper asks for it
 * at least as strongly as for text/plain (Prometheus does by default), else text 0.0.4.
 */
export function negotiate(accept: string | undefined): ExpositionFormat {
  if (!accept) return "text";
  let openmetrics = -1;
  let text = -1;
  for (const part of accept.split(",")) {
    const [type = "", ...params] = part.split(";").map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const lower = type.toLowerCase();
    if (lower === "application/openmetrics-text") openmetrics = Math.max(openmetrics, q);
    else if (lower === "text/plain" || lower === "*/*" || lower === "text/*")
      text = Math.max(text, q);
  }
  return openmetrics >= 0 && openmetrics >= text ? "openmetrics" : "text";
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? escaped.replace(/"/g, '\\"') : escaped;
}

export function formatLabels(labels: Labels, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    parts.push(`${name}="${escapeLabelValue(value)}"`);
  }
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

interface Family {
  name: string;
  kind: Series["kind"] | "info";
  help: string;
  series: Pick<Series, "labels" | "value" | "histogram">[];
}

/** Series grouped into families by name; a name already taken by another type is skipped. */
export function groupFamilies(series: Iterable<Series>): {
  families: Family[];
  conflicts: string[];
} {
  const byName = new Map<string, Family>();
  const conflicts: string[] = [];
  for (const s of series) {
    const family = byName.get(s.name);
    if (!family) {
      byName.set(s.name, { name: s.name, kind: s.kind, help: s.help, series: [s] });
    } else if (family.kind !== s.kind) {
      conflicts.push(s.name);
    } else {
      family.series.push(s);
    }
  }
  const families = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { families, conflicts };
}

/** target_info as a family: one series per resource, value 1. */
export function targetInfoFamily(labelSets: Labels[]): Family {
  return {
    name: "target_info",
    kind: "info",
    help: "Target metadata",
    series: labelSets.map((labels) => ({ labels, value: 1 })),
  };
}

/** Renders families in the negotiated format; the text always ends with a newline. */
export function render(families: Family[], format: ExpositionFormat): string {
  const lines: string[] = [];
  for (const family of families) renderFamily(family, format, lines);
  if (format === "openmetrics") lines.push("# EOF");
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function renderFamily(family: Family, format: ExpositionFormat, lines: string[]): void {
  const om = format === "openmetrics";
  let familyName = family.name;
  let sampleName = family.name;
  let type: string = family.kind;
  if (family.kind === "counter" && om) {
    // OpenMetrics names the counter family without _total and its sample with it.
    familyName = family.name.endsWith("_total") ? family.name.slice(0, -6) : family.name;
    sampleName = `${familyName}_total`;
  }
  if (family.kind === "info") {
    if (om) {
      familyName = family.name.endsWith("_info") ? family.name.slice(0, -5) : family.name;
      sampleName = `${familyName}_info`;
      type = "info";
    } else {
      type = "gauge";
    }
  }
  if (family.help) lines.push(`# HELP ${familyName} ${escapeHelp(family.help, format)}`);
  lines.push(`# TYPE ${familyName} ${type}`);
  for (const series of family.series) {
    if (family.kind !== "histogram" || !series.histogram) {
      lines.push(`${sampleName}${formatLabels(series.labels)} ${formatValue(series.value)}`);
      continue;
    }
    const h = series.histogram;
    let cumulative = 0;
    for (let i = 0; i < h.bucketCounts.length; i++) {
      cumulative += h.bucketCounts[i]!;
      const le = i < h.bounds.length ? formatValue(h.bounds[i]!) : "+Inf";
      lines.push(`${family.name}_bucket${formatLabels(series.labels, ["le", le])} ${cumulative}`);
    }
    lines.push(`${family.name}_sum${formatLabels(series.labels)} ${formatValue(h.sum)}`);
    lines.push(`${family.name}_count${formatLabels(series.labels)} ${h.count}`);
  }
}
