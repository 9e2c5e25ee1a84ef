import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
// @ts-expect-error: plain ESM script without type declarations
import { DASHBOARDS } from "../../scripts/build-dashboards.mjs";
import { detectionMetricsFactory } from "../../src/connectors/detection_metrics/factory.js";
import { type DatadogLog, toDatadogLog } from "../../src/exporters/datadog_logs/encode.js";
import { prometheusConfigSchema } from "../../src/exporters/prometheus/config.js";
import { PrometheusExporter } from "../../src/exporters/prometheus/exporter.js";
import type { MetricBatch } from "../../src/pdata/metrics.js";
import { generate, mapped, metricsSink } from "../connectors/detection_metrics/fixtures.js";
import { noopHost, testContext } from "../helpers/context.js";
import { ndjson, SAMPLES, setup } from "../processors/detection/support.js";

const ROOT = join(import.meta.dirname, "../..");
const OBS = join(ROOT, "deploy/observability");
const PROMTOOL = "/usr/bin/promtool";
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JS
const DS_UID = "${datasource}";
const tmp = mkdtempSync(join(tmpdir(), "tripline-obs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Label name → values seen, per series name. */
type Exposition = Map<string, Map<string, Set<string>>>;

/**
 * The connector config deploy/observability/README.md documents: the defaults plus the opt-in
 * instruments the exfiltration alert and the autonomy panel need.
 */
function documentedConnectorConfig(): Json {
  const readme = readFileSync(join(OBS, "README.md"), "utf8");
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => parse(m[1]!))
    .find((doc) => doc?.connectors?.detection_metrics);
  expect(block, "a yaml block with connectors.detection_metrics in the README").toBeDefined();
  return block.connectors.detection_metrics;
}

/**
 * What the dashboards and rules are written against: the real detection_metrics connector with
 * the documented config over the operant and execlave samples (mapped by the detection
 * processor), encoded by the real prometheus exporter. Also returns the OTLP batch, which is
 * what Datadog receives over OTLP.
 */
async function connectorOutput(): Promise<{ exposition: Exposition; batch: MetricBatch }> {
  const records = [
    ...(await mapped("operant", generate("operant", 3_000, 7))),
    ...(await mapped("execlave", generate("execlave", 1_000, 11))),
  ];
  const sink = metricsSink();
  const connector = detectionMetricsFactory.create(
    testContext("detection_metrics"),
    detectionMetricsFactory.configSchema.parse({
      ...documentedConnectorConfig(),
      // The uniformly random samples spread over far more label sets than real traffic: keep
      // them all, so no label is hidden in the overflow series.
      max_series: 50_000,
    }),
    sink.next,
  );
  await connector.start(noopHost);
  await connector.consumers.logs!.consume(records);
  await connector.shutdown();
  const batch = sink.batches.at(-1)!;

  const exporter = new PrometheusExporter(
    testContext("prometheus"),
    prometheusConfigSchema.parse({ endpoint: "127.0.0.1:0" }),
  );
  await exporter.start(noopHost);
  try {
    await exporter.consumers.metrics!.consume(batch);
    return { exposition: parseExposition(exporter.scrape("text")), batch };
  } finally {
    await exporter.shutdown();
  }
}

function parseExposition(text: string): Exposition {
  const out: Exposition = new Map();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]!) ?? new Map<string, Set<string>>();
    out.set(m[1]!, labels);
    for (const [, name, value] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      const values = labels.get(name!) ?? new Set<string>();
      labels.set(name!, values);
      values.add(value!);
    }
  }
  return out;
}

const CONNECTOR_NAME = /\b(?:detections|gen_ai)_[a-z_]+/;

/**
 * What in a PromQL expression the connector's output lacks: series names, labels (matchers and
 * grouping) that none of the expression's series carries, and matcher values never seen.
 * Expressions on self-telemetry only are left to the source check.
 */
function unknownReferences(expr: string, exposition: Exposition): string[] {
  const names = metricNames(expr).filter(
    (n) => CONNECTOR_NAME.test(n) && !n.startsWith("tripline_"),
  );
  if (names.length === 0) return [];
  const problems = names.filter((n) => !exposition.has(n)).map((n) => `series ${n}`);
  const labels = new Map<string, Set<string>>();
  for (const n of names)
    for (const [label, values] of exposition.get(n) ?? [])
      labels.set(label, new Set([...(labels.get(label) ?? []), ...values]));
  const grouped = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!.split(",").map((l) => l.trim()),
  );
  for (const label of grouped)
    if (label !== "" && label !== "le" && !labels.has(label)) problems.push(`label ${label}`);
  for (const [, label, op, value] of expr.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
    if (label === "__name__") continue;
    const seen = labels.get(label!);
    if (!seen) {
      problems.push(`label ${label}`);
      continue;
    }
    // A value must match something the connector produced; variables ($cluster) and negative
    // matchers only need the label.
    if (value!.includes("$") || op!.startsWith("!")) continue;
    const re = new RegExp(
      `^(?:${op === "=" ? value!.replace(/[.*+?^()|[\]\\{}]/g, "\\$&") : value})$`,
    );
    if (![...seen].some((v) => re.test(v))) problems.push(`${label}${op}"${value}"`);
  }
  return problems;
}

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
  return [
    ...withoutLabels.matchAll(/\b(tripline_[a-z_]+|detections_[a-z_]+|gen_ai_[a-z_]+)\b/g),
  ].map((m) => m[1]!);
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

  it("uses only self-telemetry metrics Tripline creates", () => {
    const source = sourceMetricNames();
    const used = new Set([...dashboardExprs, ...rules.map((r) => r.expr)].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used)
      if (name.startsWith("tripline_"))
        expect(emittedBySource(name, source), `${name} is not created in src/`).toBe(true);
  });
});

describe("against the detection_metrics connector's real output", () => {
  let exposition: Exposition;
  let batch: MetricBatch;
  beforeAll(async () => {
    ({ exposition, batch } = await connectorOutput());
  });

  it("dashboards, variables and rules use only series, labels and values it emits", () => {
    const variableQueries = dashboards.flatMap(([, d]) =>
      d.templating.list
        .filter((v: Json) => v.type === "query")
        .map((v: Json) => {
          // label_values(metric, label) reads as "label exists on metric".
          const [, metric, label] = /^label_values\(([^,]+),\s*(\w+)\)$/.exec(v.definition)!;
          return `group by (${label}) (${metric})`;
        }),
    );
    const exprs = [...dashboardExprs, ...rules.map((r) => r.expr), ...variableQueries];
    const checked = exprs.filter((e) => metricNames(e).some((n) => !n.startsWith("tripline_")));
    expect(checked.length).toBeGreaterThan(15);
    for (const expr of exprs) expect(unknownReferences(expr, exposition), expr).toEqual([]);
  });

  it("the check rejects the names and labels assumed before the connector existed", () => {
    for (const [expr, problem] of [
      ["sum(rate(gen_ai_client_token_usage_sum[5m]))", "series gen_ai_client_token_usage_sum"],
      [
        "sum by (agent_autonomy_level) (rate(gen_ai_client_operation_duration_seconds_count[5m]))",
        "series gen_ai_client_operation_duration_seconds_count",
      ],
      [
        'sum by (category) (rate(detections_total{severity=~"high|critical"}[5m]))',
        "label category",
      ],
      ["sum by (user_id) (increase(detections_total[15m]))", "label user_id"],
      [
        'detections_total{detection_category="prompt-injection"}',
        'detection_category="prompt-injection"',
      ],
    ])
      expect(unknownReferences(expr!, exposition)).toContain(problem);
  });

  it("breaks detections down by namespace and agent with the default dimensions", () => {
    const labels = exposition.get("detections_total")!;
    expect([...labels.get("k8s_namespace_name")!].sort()).toEqual([
      "agents",
      "payments",
      "support",
    ]);
    expect(labels.get("gen_ai_agent_id")!.size).toBeGreaterThanOrEqual(5);
    expect(labels.has("user_id"), "user.id is opt-in, never a default").toBe(false);
    expect(
      exposition.get("detections_exfiltration_blocked_total")!.get("user_id")!.size,
    ).toBeGreaterThan(10);
  });

  it("the rules' comment shows the same opt-in config as the README", () => {
    const comment = readFileSync(rulesFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("#   "))
      .map((l) => l.slice(4))
      .join("\n");
    const shown = parse(comment).connectors.detection_metrics.metrics as Json[];
    expect(shown.length).toBeGreaterThan(0);
    const documented = documentedConnectorConfig().metrics as Json[];
    for (const m of shown) expect(documented).toContainEqual(m);
  });

  it("Datadog metric monitors use the OTel names and dimensions Datadog receives over OTLP", () => {
    const dir = join(OBS, "datadog/monitors");
    const queries = readdirSync(dir)
      .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")))
      .filter((m) => m.type === "query alert" && !m.query.includes("tripline."))
      .map((m) => m.query as string);
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      const [, name, filter, by] = /:([a-z_.]+)\{([^}]*)\}(?: by \{([^}]*)\})?/.exec(query)!;
      const metric = batch.find((m) => m.name === name);
      expect(metric, `${query}: no metric ${name}`).toBeDefined();
      // Delta monotonic sums become Datadog counts, read with as_count().
      expect(metric!.data).toMatchObject({ type: "sum", monotonic: true });
      expect(query).toContain(".as_count()");
      const points = metric!.data.type === "sum" ? metric!.data.points : [];
      const tags = new Map<string, Set<string>>();
      for (const p of points)
        for (const [k, v] of Object.entries(p.attributes))
          tags.set(k, new Set([...(tags.get(k) ?? []), String(v)]));
      for (const tag of (by ?? "").split(",").filter(Boolean))
        expect(tags.has(tag), `${query}: by ${tag}`).toBe(true);
      for (const [, tag, value] of filter!.matchAll(/([a-z_.]+):([\w-]+)/g))
        expect(tags.get(tag!), `${query}: ${tag}:${value}`).toContain(value);
      for (const [, tag, values] of filter!.matchAll(/([a-z_.]+) (?:NOT )?IN \(([^)]*)\)/g))
        for (const value of values!.split(",").map((v) => v.trim()))
          expect(tags.get(tag!), `${query}: ${tag} IN ${value}`).toContain(value);
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

  it("self-telemetry metric monitors read metrics Tripline emits", () => {
    const source = sourceMetricNames();
    const selfTelemetry = monitors.filter(
      ([, m]) => m.type === "query alert" && m.query.includes("tripline."),
    );
    expect(selfTelemetry.length).toBeGreaterThan(0);
    for (const [file, m] of selfTelemetry) {
      const names = [...m.query.matchAll(/tripline\.([a-z_]+?)(?:\.count)?\{/g)].map((x) => x[1]);
      expect(names.length, file).toBeGreaterThan(0);
      for (const name of names)
        expect(emittedBySource(`tripline_${name}`, source), `${file}: ${name}`).toBe(true);
    }
  });
});
