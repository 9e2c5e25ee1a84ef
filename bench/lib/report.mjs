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
  {
    // Each persistent-queue scenario against the same pipeline with the memory queue.
    pairs: [
      ["e", "a"],
      ["e′", "a′"],
    ],
    metric: "eventsPerSec",
    op: ">=",
    value: 0.7,
    label: "(e) persistent queue ≥70% of memory-queue throughput",
  },
];

const byId = (subjects, id) => subjects.find((x) => x.id === id && x.status === "ok");

function checkPairs(t, subjects) {
  const measured = t.pairs
    .map(([id, base]) => [id, base, byId(subjects, id), byId(subjects, base)])
    .filter(([, , s, b]) => s && b)
    .map(([id, base, s, b]) => ({ id, base, actual: s[t.metric] / b[t.metric] }));
  const detail = t.pairs
    .map(([id, base]) => {
      const m = measured.find((x) => x.id === id);
      return `${id} vs ${base} ${m ? pct(m.actual) : "not measured"}`;
    })
    .join(", ");
  if (measured.length === 0) return { ...t, result: "not measured", detail };
  const met = measured.every((m) => (t.op === ">=" ? m.actual >= t.value : m.actual <= t.value));
  return { ...t, actual: measured, result: met ? "met" : "missed", detail };
}

export function checkTargets(subjects) {
  return TARGETS.map((t) => {
    if (t.pairs) return checkPairs(t, subjects);
    const s = subjects.find((x) => x.id === t.id);
    if (s?.status !== "ok") return { ...t, result: "not measured", actual: undefined };
    const actual = s.ratios[t.metric];
    const met = t.op === ">=" ? actual >= t.value : actual <= t.value;
    return { ...t, actual, result: met ? "met" : "missed" };
  });
}

/** The `--workers 2` run of scenario a against the single-worker one (issue #10: ≥ 1.6×). */
export function workerScaling(subjects) {
  const one = byId(subjects, "a");
  const two = byId(subjects, "a×2");
  if (!one || !two) return undefined;
  return {
    throughput: two.eventsPerSec / one.eventsPerSec,
    cpuPerEvent: two.cpuPer1k / one.cpuPer1k,
    target: 1.6,
  };
}

function stallNote(s) {
  const st = s.stall;
  const refused = Object.entries(st.refused)
    .map(([code, n]) => `${code}: ${fmt(n)}`)
    .join(", ");
  return (
    `rate and CPU over ${fmt(s.events)} events to a healthy backend; ` +
    `then the backend answered ${st.backendStatus} for ${st.seconds} s: ` +
    `${fmt(st.refusedRequests)} requests refused${refused ? ` (${refused})` : " (queue limit not reached)"}` +
    (st.refusedHealthy > 0 ? ` (${fmt(st.refusedHealthy)} more while healthy)` : "") +
    "; " +
    `peak RSS ${fmt(st.stalledPeakRssMiB, 1)} MiB while stalled (${times(st.stalledVsHealthy)} the ` +
    `healthy ${fmt(st.healthyPeakRssMiB, 1)}), ${fmt(st.peakRssMiB, 1)} after recovery (${times(st.peakVsHealthy)}); ` +
    `${fmt(st.delivered)} / ${fmt(st.accepted)} acknowledged events delivered after recovery` +
    (st.notAccepted > 0 ? `; ${fmt(st.notAccepted)} never accepted` : "")
  );
}

function note(s) {
  if (s.status === "skipped") return `**skipped**: ${s.reason}`;
  if (s.status === "failed") return `**failed**: ${s.reason}`;
  const parts = [];
  if (s.loss > 0) parts.push(`**lost ${s.loss}**`);
  if (s.duplicates > 0) parts.push(`${s.duplicates} duplicates`);
  if (s.stall) parts.push(stallNote(s));
  else if (s.retries > 0) parts.push(`${s.retries} retried requests (429/503)`);
  if (s.processes > 1) parts.push(`${s.processes} processes (CPU and RSS summed)`);
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
      `${result.settings.batch} per request, ${result.settings.concurrency} connections, single worker ` +
      "unless the id says ×N; latency at 50% of each subject's measured maximum. " +
      "CPU and peak RSS are the gateway's, summed over its processes (peak RSS: the sum of each " +
      "process's VmHWM); client / sink CPU is what the load client's process and the sink " +
      "(in the harness) spent during the same phase.",
    "",
    "| Scenario | events/s | CPU s / 1k events | peak RSS MiB | client / sink CPU s | latency p50 / p99 ms | delivered / expected | vs ceiling: rate / CPU / RSS | vs OTel SDK: rate / CPU | notes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
  ];
  for (const s of result.subjects) {
    const ok = s.status === "ok";
    lines.push(
      `| ${s.id}: ${s.title} | ${ok ? fmt(s.eventsPerSec) : "–"} | ${ok ? fmt(s.cpuPer1k, 3) : "–"} | ` +
        `${ok ? fmt(s.peakRssMiB, 1) : "–"} | ` +
        `${ok ? `${fmt(s.clientCpuSeconds, 2)} / ${fmt(s.sinkCpuSeconds, 2)}` : "–"} | ` +
        `${ok && s.latency ? `${fmt(s.latency.p50Ms, 1)} / ${fmt(s.latency.p99Ms, 1)}` : "–"} | ` +
        `${ok ? `${fmt(s.delivered)} / ${fmt(s.expected)}` : "–"} | ` +
        `${ok ? `${pct(s.ratios.throughputVsCeiling)} / ${times(s.ratios.cpuVsCeiling)} / ${times(s.ratios.rssVsCeiling)}` : "–"} | ` +
        `${ok ? `${pct(s.ratios.throughputVsSdk)} / ${times(s.ratios.cpuVsSdk)}` : "–"} | ${note(s)} |`,
    );
  }
  const scaling = result.workerScaling;
  if (scaling) {
    lines.push(
      "",
      `2 workers vs 1: ${times(scaling.throughput)} events/s (target ≥${scaling.target}×), ` +
        `${times(scaling.cpuPerEvent)} CPU per event.`,
    );
  }
  lines.push("", "Targets (issue #10), single worker:", "");
  for (const t of result.targets) {
    const actual = t.detail
      ? ` (${t.detail})`
      : t.actual === undefined
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
