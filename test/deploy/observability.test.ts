import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
// @ts-expect-error: plain ESM script without type declarations
import { DASHBOARDS } from "../../scripts/build-dashboards.mjs";
import { type DatadogLog, toDatadogLog } from "../../src/exporters/datadog_logs/encode.js";
import { ndjson, SAMPLES, setup } from "../processors/detection/support.js";

const ROOT = join(import.meta.dirname, "../..");
const OBS = join(ROOT, "deploy/observability");
const PROMTOOL = "/usr/bin/promtool";
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JS
const DS_UID = "${datasource}";
const tmp = mkdtempSync(join(tmpdir(), "tripline-obs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Series the detection_metrics connector exposes (through the prometheus exporters): the
 * contract the dashboards and rules are written against. Everything `tripline_*` is checked
 * against the source instead.
 */
const CONNECTOR_METRICS = [
  "detections_total",
  "gen_ai_usage_cost_usd_total",
  "gen_ai_client_token_usage_sum",
  "gen_ai_client_operation_duration_seconds_count",
  "gen_ai_client_operation_duration_seconds_bucket",
];

// biome-ignore lint/suspicious/noExplicitAny: dashboards are free-form JSON
type Json = any;

const dashboardFiles = readdirSync(join(OBS, "grafana")).filter((f) => f.endsWith(".json"));
const dashboards: [string, Json][] = dashboardFiles.map((f) => [
  f,
  JSON.parse(readFileSync(join(OBS, "grafana", f), "utf8")),
]);
const rulesFile = join(OBS, "prometheus/tripline-alerts.rules.yaml");
const rules: { alert: string; expr: string }[] = parse(
  readFileSync(rulesFile, "utf8"),
).groups.flatMap((g: Json) => g.rules);
const dashboardExprs: string[] = dashboards.flatMap(([, d]) =>
  d.panels.flatMap((p: Json) => p.targets.map((t: Json) => t.expr)),
);

function promtool(...args: string[]) {
  expect(existsSync(PROMTOOL), `${PROMTOOL} is required (Debian package "prometheus")`).toBe(true);
  return spawnSync(PROMTOOL, args, { encoding: "utf8", cwd: join(OBS, "prometheus") });
}

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the query. */
function concrete(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "5m")
    .replaceAll("$__range", "1h")
    .replace(/\$[a-z_]+/g, ".*");
}

/** Metric names in PromQL; regex alternatives in a `__name__` matcher are expanded. */
function metricNames(expr: string): string[] {
  const expanded = expr.replace(
    /\{__name__=~"([a-z_]*)\(([a-z_|]+)\)([a-z_]*)"/g,
    (_, pre: string, alts: string, post: string) =>
      ` ${alts
        .split("|")
        .map((a) => `${pre}${a}${post}`)
        .join(" ")} {`,
  );
  // Label names live in grouping clauses and matchers; drop those before looking for names.
  const withoutLabels = expanded
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\{[^}]*\}/g, "{}");
  return [...withoutLabels.matchAll(/\b(tripline_[a-z_]+|detections_total|gen_ai_[a-z_]+)\b/g)].map(
    (m) => m[1]!,
  );
}

/** Every `tripline_*` literal in src/: whole names and templated prefixes (`…_sent_${item}`). */
function sourceMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts"))
        for (const m of readFileSync(path, "utf8").matchAll(/tripline_[a-z_]+/g)) names.add(m[0]);
    }
  };
  walk(join(ROOT, "src"));
  return names;
}

function emittedBySource(name: string, source: Set<string>): boolean {
  const base = name.replace(/_total$/, "");
  if (source.has(base)) return true;
  return ["log_records", "metric_points"].some(
    (item) => base.endsWith(item) && source.has(base.slice(0, -item.length)),
  );
}

describe("Grafana dashboards", () => {
  it("are the generator's output", () => {
    expect(dashboardFiles.sort()).toEqual(Object.keys(DASHBOARDS).sort());
    for (const [file, json] of dashboards) expect(json, file).toEqual(DASHBOARDS[file]);
  });

  it("have what Grafana needs: uid, title, a Prometheus datasource variable, panels with targets", () => {
    const uids = new Set<string>();
    for (const [file, d] of dashboards) {
      expect(d.uid, file).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(uids.has(d.uid), `duplicate uid ${d.uid}`).toBe(false);
      uids.add(d.uid);
      expect(typeof d.title).toBe("string");
      expect(typeof d.schemaVersion).toBe("number");
      const ds = d.templating.list.find((v: Json) => v.name === "datasource");
      expect(ds).toMatchObject({ type: "datasource", query: "prometheus" });
      expect(d.panels.length).toBeGreaterThan(3);
      const ids = new Set<number>();
      for (const p of d.panels) {
        expect(ids.has(p.id), `${file}: duplicate panel id ${p.id}`).toBe(false);
        ids.add(p.id);
        expect(p.title, file).toBeTruthy();
        expect(p.datasource).toEqual({ type: "prometheus", uid: DS_UID });
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        expect(p.targets.length).toBeGreaterThan(0);
        for (const t of p.targets) {
          expect(t.refId).toMatch(/^[A-Z]$/);
          expect(t.datasource.uid).toBe(DS_UID);
          expect(t.expr).toBeTruthy();
        }
        // Every variable a query uses is defined.
        const defined = new Set(d.templating.list.map((v: Json) => v.name));
        for (const t of p.targets)
          for (const m of t.expr.matchAll(/\$([a-z][a-z_]*)/g)) expect(defined).toContain(m[1]);
      }
    }
  });

  it("cover the panels the overview, agent and health dashboards promise", () => {
    const titles = (uid: string) =>
      dashboards
        .find(([, d]) => d.uid === uid)![1]
        .panels.map((p: Json) => p.title)
        .join("\n");
    const overview = titles("tripline-ai-defence");
    for (const want of [
      /by cluster and namespace/,
      /Blocks vs allows/,
      /Redactions/,
      /Rate limits/,
      /unmanaged agents/i,
      /Top agents/,
      /Prompt injection trend/,
    ])
      expect(overview).toMatch(want);
    const agents = titles("tripline-agent-traces");
    for (const want of [/Spend/, /Tokens/, /Policy blocks by agent/, /autonomy tier/])
      expect(agents).toMatch(want);
    const health = titles("tripline-health");
    for (const want of [/Accepted vs refused/, /Sent vs failed/, /queue/i, /Retries/, /Dropped/])
      expect(health).toMatch(want);
  });
});

describe("PromQL", () => {
  it("every dashboard and rule expression parses (promtool check rules)", () => {
    const file = join(tmp, "exprs.rules.yaml");
    const all = [...dashboardExprs.map(concrete), ...rules.map((r) => r.expr)];
    writeFileSync(
      file,
      JSON.stringify({
        groups: [
          { name: "exprs", rules: all.map((expr, i) => ({ record: `tripline:expr_${i}`, expr })) },
        ],
      }),
    );
    const r = promtool("check", "rules", file);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${all.length} rules found`);
  });

  it("a broken expression is caught by the same check", () => {
    const file = join(tmp, "broken.rules.yaml");
    const expr = concrete(dashboardExprs[0]!).replace(")", "");
    writeFileSync(
      file,
      JSON.stringify({ groups: [{ name: "x", rules: [{ record: "x:y", expr }] }] }),
    );
    expect(promtool("check", "rules", file).status).not.toBe(0);
  });

  it("uses only metrics Tripline emits", () => {
    const source = sourceMetricNames();
    const used = new Set([...dashboardExprs, ...rules.map((r) => r.expr)].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) {
      if (name.startsWith("tripline_"))
        expect(emittedBySource(name, source), `${name} is not created in src/`).toBe(true);
      else expect(CONNECTOR_METRICS, name).toContain(name);
    }
  });
});

describe("Prometheus alerting rules", () => {
  it("pass promtool check rules", () => {
    const r = promtool("check", "rules", "tripline-alerts.rules.yaml");
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("pass their unit tests (promtool test rules)", () => {
    const r = promtool("test", "rules", "tripline-alerts.test.yaml");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("SUCCESS");
  });

  it("have a unit test for every alert", () => {
    const tests = readFileSync(join(OBS, "prometheus/tripline-alerts.test.yaml"), "utf8");
    for (const { alert } of rules) expect(tests).toContain(`alertname: ${alert}`);
  });
});

describe("Datadog monitors", () => {
  const dir = join(OBS, "datadog/monitors");
  const monitors: [string, Json][] = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8"))]);

  /** What the datadog_logs exporter writes for the sample detections and agent traces. */
  async function emittedLogs(): Promise<DatadogLog[]> {
    const logs: DatadogLog[] = [];
    for (const [preset, file, extra] of [
      ["operant", "operant/detections.ndjson", {}],
      ["execlave", "execlave/traces.ndjson", { include_non_detections: true }],
    ] as const) {
      const { run } = setup({ preset, ...extra });
      for (const record of await run(ndjson(`${SAMPLES}/${file}`)))
        logs.push(
          toDatadogLog(record, {
            tags: [],
            tagAttributes: {
              env: ["deployment.environment.name", "deployment.environment"],
              severity: "detection.severity",
              category: "detection.category",
              action: "detection.action",
            },
            maxEntryBytes: 1_000_000,
          }),
        );
    }
    return logs;
  }

  it("are API-ready POST /api/v1/monitor bodies", () => {
    expect(monitors.length).toBeGreaterThanOrEqual(8);
    for (const [file, m] of monitors) {
      expect(["log alert", "query alert"], file).toContain(m.type);
      expect(m.name, file).toMatch(/^\[Tripline\] /);
      expect(m.message, file).toMatch(/@[a-z-]+oncall/);
      expect(Array.isArray(m.tags)).toBe(true);
      expect(m.priority).toBeGreaterThanOrEqual(1);
      // The threshold in the query is the critical threshold Datadog stores.
      const threshold = Number(/[<>]=?\s*([0-9.]+)\s*$/.exec(m.query)?.[1]);
      expect(m.options.thresholds.critical, file).toBe(threshold);
      if (m.type === "log alert")
        expect(m.query, file).toMatch(
          /^logs\("[^"]+"\)\.index\("\*"\)\.rollup\("(count|sum)"(, "@[\w.]+")?\)(\.by\("@[\w.]+"\))?\.last\("\d+[mh]"\) > [0-9.]+$/,
        );
    }
  });

  it("cover the seed's three patterns and the alert rules' patterns", () => {
    const names = monitors.map(([, m]) => m.name).join("\n");
    for (const want of [
      /Policy violation burst/,
      /Cost runaway/,
      /Autonomous agent/,
      /Prompt-injection burst/,
      /blocked exfiltration/,
      /not blocked in production/,
      /Exporter .* failing/,
      /queue .* filling/,
    ])
      expect(names).toMatch(want);
  });

  it("query attributes the datadog_logs exporter actually emits", async () => {
    const logs = await emittedLogs();
    const keys = new Set(logs.flatMap((l) => Object.keys(l)));
    const sources = new Set(logs.map((l) => l.ddsource));
    const tags = new Set(logs.flatMap((l) => String(l.ddtags ?? "").split(",")));
    for (const [file, m] of monitors.filter(([, m]) => m.type === "log alert")) {
      const text = `${m.query} ${m.message} ${m.name}`;
      for (const [, attr] of text.matchAll(/@([a-z_]+(?:\.[a-z_]+)+?)(?=[:"}\s)]|\.name\})/g))
        expect(keys, `${file}: @${attr}`).toContain(attr);
      for (const [, source] of m.query.matchAll(/\bsource:([a-z_-]+)/g))
        expect(sources, `${file}: source:${source}`).toContain(source);
      for (const [, env] of m.query.matchAll(/(?<![@\w.])env:([a-z_-]+)/g))
        expect(tags, `${file}: env:${env}`).toContain(`env:${env}`);
      // Each search matches at least one of the sample logs in its facet values.
      for (const [, attr, value] of m.query.matchAll(/(?<!-)@([\w.]+):([a-z_.]+)\b/g))
        expect(
          logs.some((l) => l[attr!] === value),
          `${file}: no sample log has @${attr}:${value}`,
        ).toBe(true);
    }
  });

  it("metric monitors read self-telemetry metrics Tripline emits", () => {
    const source = sourceMetricNames();
    for (const [file, m] of monitors.filter(([, m]) => m.type === "query alert")) {
      const names = [...m.query.matchAll(/tripline\.([a-z_]+?)(?:\.count)?\{/g)].map((x) => x[1]);
      expect(names.length, file).toBeGreaterThan(0);
      for (const name of names)
        expect(emittedBySource(`tripline_${name}`, source), `${file}: ${name}`).toBe(true);
    }
  });
});
