#!/usr/bin/env node
/**
 * Writes the Grafana dashboards in deploy/observability/grafana/ from the compact definitions
 * below (panel layout, datasource wiring and ids are repetitive JSON). `--check` compares
 * instead of writing and exits 1 when a committed dashboard differs.
 *
 * Metric names: self-telemetry (`tripline_*`) as src/telemetry and src/exporterhelper create
 * it; `detections_total` and the `gen_ai_*` series as the detection_metrics connector exposes
 * them through the prometheus / prometheusremotewrite exporters with its default dimensions,
 * plus the opt-in instruments deploy/observability/README.md configures
 * (test/deploy/observability.test.ts checks every name and label against the real output).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "deploy/observability/grafana");

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JS
const DS = { type: "prometheus", uid: "${datasource}" };
const SCOPE =
  'k8s_cluster_name=~"$cluster", k8s_namespace_name=~"$namespace", deployment_environment_name=~"$env"';
const AGENT = 'gen_ai_agent_id=~"$agent"';
const SELF = 'job=~"$job"';

function variables(kind) {
  const list = [
    {
      name: "datasource",
      label: "Prometheus",
      type: "datasource",
      query: "prometheus",
      current: {},
      hide: 0,
      refresh: 1,
    },
  ];
  const labelVar = (name, label, metric, labelName) => ({
    name,
    label,
    type: "query",
    datasource: DS,
    query: { query: `label_values(${metric}, ${labelName})`, refId: `${name}-var` },
    definition: `label_values(${metric}, ${labelName})`,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { text: "All", value: "$__all" },
    refresh: 2,
    sort: 1,
    hide: 0,
  });
  if (kind === "detections") {
    list.push(labelVar("cluster", "Cluster", "detections_total", "k8s_cluster_name"));
    list.push(labelVar("namespace", "Namespace", "detections_total", "k8s_namespace_name"));
    list.push(labelVar("env", "Environment", "detections_total", "deployment_environment_name"));
  } else if (kind === "agents") {
    // Every agent instrument is labelled by gen_ai_agent_id (tokens are by model instead).
    list.push(labelVar("agent", "Agent", "gen_ai_agent_traces_total", "gen_ai_agent_id"));
  } else {
    list.push(labelVar("job", "Job", "tripline_receiver_accepted_log_records_total", "job"));
  }
  return { list };
}

/** Lays panels out left to right, 24 columns wide, wrapping rows. */
function layout(panels) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p, i) => {
    const w = p.w ?? 12;
    const h = p.h ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    const { w: _w, h: _h, exprs, unit, ...rest } = p;
    return {
      id: i + 1,
      gridPos,
      datasource: DS,
      fieldConfig: { defaults: { unit: unit ?? "short" }, overrides: [] },
      options: {},
      ...rest,
      targets: exprs.map(([expr, legendFormat], j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: DS,
        expr,
        legendFormat: legendFormat ?? "",
        ...(rest.type === "stat" || rest.type === "bargauge" || rest.type === "table"
          ? { instant: true, range: false }
          : {}),
      })),
    };
  });
}

function dashboard(uid, title, description, tags, kind, panels) {
  return {
    uid,
    title,
    description,
    tags: ["tripline", ...tags],
    editable: true,
    graphTooltip: 1,
    refresh: "1m",
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    timezone: "",
    annotations: { list: [] },
    links: [],
    templating: variables(kind),
    panels: layout(panels),
  };
}

const det = (filter) => `detections_total{${SCOPE}${filter ? `, ${filter}` : ""}}`;

export const DASHBOARDS = {
  "runtime-ai-defence-overview.json": dashboard(
    "tripline-ai-defence",
    "Runtime AI defence overview",
    "Detections from AI runtime-defence and agent-governance sources, as counted by Tripline's detection_metrics connector.",
    ["security", "detections"],
    "detections",
    [
      {
        type: "stat",
        title: "High and critical detections (time range)",
        w: 6,
        h: 5,
        exprs: [[`sum(increase(${det('detection_severity=~"high|critical"')}[$__range]))`]],
      },
      {
        type: "stat",
        title: "Blocked (time range)",
        w: 6,
        h: 5,
        exprs: [[`sum(increase(${det('detection_action="blocked"')}[$__range]))`]],
      },
      {
        type: "stat",
        title: "High or critical not blocked (time range)",
        w: 6,
        h: 5,
        exprs: [
          [
            `sum(increase(${det('detection_severity=~"high|critical", detection_action!="blocked"')}[$__range]))`,
          ],
        ],
      },
      {
        type: "stat",
        title: "New unmanaged agents and shadow MCP servers (time range)",
        w: 6,
        h: 5,
        exprs: [
          [
            `sum(increase(${det('detection_category=~"unmanaged_agent|shadow_mcp_server"')}[$__range]))`,
          ],
        ],
      },
      {
        type: "timeseries",
        title: "High and critical detections by cluster and namespace",
        w: 24,
        unit: "cpm",
        exprs: [
          [
            `sum by (k8s_cluster_name, k8s_namespace_name) (rate(${det('detection_severity=~"high|critical"')}[$__rate_interval])) * 60`,
            "{{k8s_cluster_name}} / {{k8s_namespace_name}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Blocks vs allows",
        unit: "cpm",
        exprs: [
          [
            `sum by (detection_action) (rate(${det('detection_action=~"blocked|allowed"')}[$__rate_interval])) * 60`,
            "{{detection_action}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Prompt injection trend",
        unit: "cpm",
        exprs: [
          [
            `sum by (detection_action) (rate(${det('detection_category="prompt_injection"')}[$__rate_interval])) * 60`,
            "{{detection_action}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Redactions by service",
        unit: "cpm",
        exprs: [
          [
            `sum by (service_name) (rate(${det('detection_action="redacted"')}[$__rate_interval])) * 60`,
            "{{service_name}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Rate limits by service",
        unit: "cpm",
        exprs: [
          [
            `sum by (service_name) (rate(${det('detection_action="rate_limited"')}[$__rate_interval])) * 60`,
            "{{service_name}}",
          ],
        ],
      },
      {
        type: "bargauge",
        title: "Top agents by detections (time range)",
        exprs: [
          [
            `topk(10, sum by (gen_ai_agent_id) (increase(${det("")}[$__range])))`,
            "{{gen_ai_agent_id}}",
          ],
        ],
        options: { orientation: "horizontal", displayMode: "gradient" },
      },
      {
        type: "table",
        title: "Unmanaged agents and shadow MCP servers seen (time range)",
        exprs: [
          [
            `sum by (detection_category, gen_ai_agent_id, k8s_cluster_name, k8s_namespace_name) (increase(${det('detection_category=~"unmanaged_agent|shadow_mcp_server"')}[$__range])) > 0`,
          ],
        ],
      },
    ],
  ),
  "agent-traces.json": dashboard(
    "tripline-agent-traces",
    "Agent traces",
    "Cost, tokens and policy blocks of AI agents (agent traces mapped by Tripline, e.g. the execlave preset), from the detection_metrics connector.",
    ["agents", "gen_ai"],
    "agents",
    [
      {
        type: "stat",
        title: "Spend (time range)",
        w: 8,
        h: 5,
        unit: "currencyUSD",
        exprs: [[`sum(increase(gen_ai_usage_cost_usd_total{${AGENT}}[$__range]))`]],
      },
      {
        type: "stat",
        title: "Tokens (time range)",
        description: "All agents: tokens are counted by model and token type, not by agent.",
        w: 8,
        h: 5,
        exprs: [[`sum(increase(gen_ai_usage_tokens_total[$__range]))`]],
      },
      {
        type: "stat",
        title: "Policy blocks (time range)",
        w: 8,
        h: 5,
        exprs: [
          [
            `sum(increase(detections_total{${AGENT}, detection_category="policy_violation", detection_action="blocked"}[$__range]))`,
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Spend per hour by agent",
        unit: "currencyUSD",
        exprs: [
          [
            `sum by (gen_ai_agent_id) (rate(gen_ai_usage_cost_usd_total{${AGENT}}[$__rate_interval])) * 3600`,
            "{{gen_ai_agent_id}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Tokens per minute by model and type",
        description: "All agents: tokens are counted by model and token type, not by agent.",
        exprs: [
          [
            "sum by (gen_ai_request_model, gen_ai_token_type) (rate(gen_ai_usage_tokens_total[$__rate_interval])) * 60",
            "{{gen_ai_request_model}} {{gen_ai_token_type}}",
          ],
        ],
      },
      {
        type: "bargauge",
        title: "Policy blocks by agent (time range)",
        exprs: [
          [
            `topk(10, sum by (gen_ai_agent_id) (increase(detections_total{${AGENT}, detection_category="policy_violation", detection_action="blocked"}[$__range])))`,
            "{{gen_ai_agent_id}}",
          ],
        ],
        options: { orientation: "horizontal", displayMode: "gradient" },
      },
      {
        type: "timeseries",
        title: "Agent runs by autonomy tier",
        description:
          "Needs the opt-in gen_ai.agent.runs counter (deploy/observability/README.md); empty without it.",
        unit: "cpm",
        exprs: [
          [
            `sum by (agent_autonomy_level) (rate(gen_ai_agent_runs_total{${AGENT}}[$__rate_interval])) * 60`,
            "{{agent_autonomy_level}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Agent traces per minute by status",
        unit: "cpm",
        exprs: [
          [
            `sum by (status) (rate(gen_ai_agent_traces_total{${AGENT}}[$__rate_interval])) * 60`,
            "{{status}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Duration p95 by agent",
        unit: "ms",
        w: 24,
        exprs: [
          [
            `histogram_quantile(0.95, sum by (le, gen_ai_agent_id) (rate(gen_ai_agent_duration_milliseconds_bucket{${AGENT}}[$__rate_interval])))`,
            "{{gen_ai_agent_id}}",
          ],
        ],
      },
    ],
  ),
  "tripline-health.json": dashboard(
    "tripline-health",
    "Tripline health",
    "Tripline's own telemetry: what came in, what went out, and what is waiting or lost.",
    ["health"],
    "self",
    [
      {
        type: "timeseries",
        title: "Accepted vs refused by receiver",
        unit: "ops",
        exprs: [
          [
            `sum by (receiver) (rate(tripline_receiver_accepted_log_records_total{${SELF}}[$__rate_interval]))`,
            "accepted {{receiver}}",
          ],
          [
            `sum by (receiver) (rate(tripline_receiver_refused_log_records_total{${SELF}}[$__rate_interval]))`,
            "refused {{receiver}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Sent vs failed by exporter",
        unit: "ops",
        exprs: [
          [
            `sum by (exporter) (rate(tripline_exporter_sent_log_records_total{${SELF}}[$__rate_interval]))`,
            "sent {{exporter}}",
          ],
          [
            `sum by (exporter) (rate(tripline_exporter_send_failed_log_records_total{${SELF}}[$__rate_interval]))`,
            "failed {{exporter}}",
          ],
          [
            `sum by (exporter) (rate(tripline_exporter_sent_metric_points_total{${SELF}}[$__rate_interval]))`,
            "sent points {{exporter}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Sending queue fill",
        unit: "percentunit",
        exprs: [
          [
            `max by (exporter) (tripline_exporter_queue_size{${SELF}} / tripline_exporter_queue_capacity{${SELF}})`,
            "{{exporter}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Retries by exporter",
        unit: "ops",
        exprs: [
          [
            `sum by (exporter) (rate(tripline_exporter_retries_total{${SELF}}[$__rate_interval]))`,
            "{{exporter}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Dropped and dead-lettered",
        unit: "ops",
        exprs: [
          [
            `sum by (exporter, reason) (rate(tripline_exporter_dropped_log_records_total{${SELF}}[$__rate_interval]))`,
            "dropped {{exporter}} {{reason}}",
          ],
          [
            `sum by (exporter, reason) (rate(tripline_exporter_dead_lettered_log_records_total{${SELF}}[$__rate_interval]))`,
            "dead-lettered {{exporter}} {{reason}}",
          ],
          [
            `sum by (exporter) (rate(tripline_exporter_enqueue_failed_log_records_total{${SELF}}[$__rate_interval]))`,
            "queue full {{exporter}}",
          ],
        ],
      },
      {
        type: "timeseries",
        title: "Processor in vs out",
        unit: "ops",
        exprs: [
          [
            `sum by (processor, pipeline) (rate(tripline_processor_incoming_items_total{${SELF}}[$__rate_interval]))`,
            "in {{pipeline}}/{{processor}}",
          ],
          [
            `sum by (processor, pipeline) (rate(tripline_processor_outgoing_items_total{${SELF}}[$__rate_interval]))`,
            "out {{pipeline}}/{{processor}}",
          ],
        ],
      },
    ],
  ),
};

function main() {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [file, json] of Object.entries(DASHBOARDS)) {
    const path = join(OUT, file);
    const text = `${JSON.stringify(json, null, 2)}\n`;
    if (!check) {
      writeFileSync(path, text);
      continue;
    }
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (JSON.stringify(JSON.parse(current || "null")) !== JSON.stringify(json)) {
      stale++;
      console.error(`${path} is out of date: run node scripts/build-dashboards.mjs`);
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
