// Turns results into bench/results/latest.json and latest.md (the table the README quotes).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const fmt = (value, digits = 0) =>
  value === undefined || value === null || Number.isNaN(value)
    ? "–"
    : value.toLocaleString("en-US", {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      });
const pct = (value) => (value === undefined ? "–" : `${Math.round(value * 100)}%`);
const times = (value) => (value === undefined ? "–" : `${value.toFixed(2)}×`);

/** The issue's targets, checked against this run; reported, never asserted. */
export const TARGETS = [
  {
    id: "a",
    metric: "throughputVsCeiling",
    op: ">=",
    value: 0.7,
    label: "(a) throughput ≥ 70% of ceiling",
  },
  {
    id: "a",
    metric: "cpuVsCeiling",
    op: "<=",
    value: 1.5,
    label: "(a) CPU per event ≤ 1.5× ceiling",
  },
  { id: "a", metric: "rssVsCeiling", op: "<=", value: 1.3, label: "(a) peak RSS ≤ 1.3× ceiling" },
  {
    id: "b",
    metric: "throughputVsCeiling",
    op: ">=",
    value: 0.5,
    label: "(b) throughput ≥ 50% of ceiling",
  },
  {
    id: "d",
    metric: "throughputVsCeiling",
    op: ">=",
    value: 0.8,
    label: "(d) records/s ≥ 80% of ceiling",
  },
];

export function checkTargets(subjects) {
  return TARGETS.map((t) => {
    const s = subjects.find((x) => x.id === t.id);
    if (s?.status !== "ok") return { ...t, result: "not measured", actual: undefined };
    const actual = s.ratios[t.metric];
    const met = t.op === ">=" ? actual >= t.value : actual <= t.value;
    return { ...t, actual, result: met ? "met" : "missed" };
  });
}

function note(s) {
  if (s.status === "skipped") return `**skipped**: ${s.reason}`;
  if (s.status === "failed") return `**failed**: ${s.reason}`;
  const parts = [];
  if (s.loss > 0) parts.push(`**lost ${s.loss}**`);
  if (s.duplicates > 0) parts.push(`${s.duplicates} duplicates`);
  if (s.retries > 0) parts.push(`${s.retries} retried requests (429/503)`);
  const targets = Object.entries(s.targets ?? {});
  if (targets.length > 1) {
    parts.push(
      targets
        .map(([name, t]) =>
          t.mode === "some"
            ? `${name}: ${t.delivered} requests`
            : `${name}: ${t.delivered}/${t.expected}`,
        )
        .join(", "),
    );
  }
  if (s.exit && s.exit.code !== 0) parts.push(`exit ${s.exit.code ?? s.exit.signal} on SIGTERM`);
  return parts.join("; ");
}

export function markdown(result) {
  const m = result.machine;
  const lines = [
    `Tripline benchmark — ${result.started}${result.settings.quick ? " (quick smoke run: numbers are not meaningful)" : ""}`,
    "",
    `Machine: ${m.cpus}× ${m.cpuModel}, ${fmt(m.memoryGiB, 1)} GiB, Node ${m.node}, ${m.os}; ` +
      `load average ${m.loadBefore.map((x) => x.toFixed(2)).join(" ")} before, ` +
      `${m.loadAfter.map((x) => x.toFixed(2)).join(" ")} after.`,
    `Settings: ${fmt(result.settings.events)} events of ~${fmt(result.settings.eventBytes)} B per scenario, ` +
      `${result.settings.batch} per request, ${result.settings.concurrency} connections, single worker; ` +
      "latency at 50% of each subject's measured maximum.",
    "",
    "| Scenario | events/s | CPU s / 1k events | peak RSS MiB | latency p50 / p99 ms | delivered / expected | vs ceiling: rate / CPU / RSS | vs OTel SDK: rate / CPU | notes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
  ];
  for (const s of result.subjects) {
    const ok = s.status === "ok";
    lines.push(
      `| ${s.id}: ${s.title} | ${ok ? fmt(s.eventsPerSec) : "–"} | ${ok ? fmt(s.cpuPer1k, 3) : "–"} | ` +
        `${ok ? fmt(s.peakRssMiB, 1) : "–"} | ${ok ? `${fmt(s.latency.p50Ms, 1)} / ${fmt(s.latency.p99Ms, 1)}` : "–"} | ` +
        `${ok ? `${fmt(s.delivered)} / ${fmt(s.expected)}` : "–"} | ` +
        `${ok ? `${pct(s.ratios.throughputVsCeiling)} / ${times(s.ratios.cpuVsCeiling)} / ${times(s.ratios.rssVsCeiling)}` : "–"} | ` +
        `${ok ? `${pct(s.ratios.throughputVsSdk)} / ${times(s.ratios.cpuVsSdk)}` : "–"} | ${note(s)} |`,
    );
  }
  lines.push("", "Targets (issue #10), single worker:", "");
  for (const t of result.targets) {
    const actual =
      t.actual === undefined
        ? ""
        : ` (${t.metric.startsWith("throughput") ? pct(t.actual) : times(t.actual)})`;
    lines.push(`- ${t.label}: ${t.result}${actual}`);
  }
  return `${lines.join("\n")}\n`;
}

export function write(outDir, result) {
  mkdirSync(outDir, { recursive: true });
  const md = markdown(result);
  writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, "latest.md"), md);
  return md;
}
