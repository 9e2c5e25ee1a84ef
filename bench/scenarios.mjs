// What each scenario sends and what the sink must receive. The pipelines themselves are the
// YAML files in bench/scenarios/; `expect` says which input events each sink target must see:
// "all", "high" (high and critical only, after a severity filter) or "some" (metrics: at least
// one request, since data points do not map one-to-one to events). `workers` runs the gateway
// with `--workers N`; `stall` adds the stalled-backend phases (see stallPhases in run.mjs).

export const SCENARIOS = [
  {
    id: "a",
    title: "detections → operant preset → otlphttp (protobuf)",
    file: "a-normalise-otlp.yaml",
    input: "detections",
    targets: { otlp: "all" },
  },
  {
    id: "a×2",
    title: "(a) with 2 workers (`tripline run --workers 2`)",
    file: "a-normalise-otlp.yaml",
    input: "detections",
    targets: { otlp: "all" },
    workers: 2,
  },
  {
    id: "a+gzip",
    title: "(a) with otlphttp's default gzip (level 6)",
    file: "a-normalise-otlp-gzip.yaml",
    input: "detections",
    targets: { otlp: "all" },
  },
  {
    id: "a′",
    title: "(a) with datadog_logs as the exporter",
    file: "a-normalise-datadog.yaml",
    input: "detections",
    targets: { datadog: "all" },
  },
  {
    id: "b",
    title: "(a) + filter high+ + enrich + redaction + dedup",
    file: "b-noise-control-otlp.yaml",
    input: "detections",
    targets: { otlp: "high" },
  },
  {
    id: "c",
    title: "fan-out: datadog_logs + loki + detection_metrics → remote write",
    file: "c-fanout.yaml",
    input: "detections",
    targets: { datadog: "all", loki: "all", prw: "some" },
  },
  {
    id: "c′",
    title: "fan-out: datadog_logs + loki",
    file: "c-fanout-logs.yaml",
    input: "detections",
    targets: { datadog: "all", loki: "all" },
  },
  {
    id: "d",
    title: "OTLP/HTTP in → otlphttp out (Collector chaining)",
    file: "d-otlp-passthrough.yaml",
    input: "otlp",
    targets: { otlp: "all" },
  },
  {
    id: "e",
    title: "(a) with the persistent sending queue",
    file: "e-persistent-otlp.yaml",
    input: "detections",
    targets: { otlp: "all" },
    storage: true,
  },
  {
    id: "e′",
    title: "(a′) with the persistent sending queue",
    file: "e-persistent-datadog.yaml",
    input: "detections",
    targets: { datadog: "all" },
    storage: true,
  },
  {
    id: "stall",
    title: "(a) with queue_size 20, backend stalled (503) then recovered",
    file: "stall-otlp.yaml",
    input: "detections",
    targets: { otlp: "all" },
    stall: true,
    queueSize: 20,
  },
];

export const BASELINES = [
  {
    id: "ceiling",
    title: "baseline 1: minimal Node (parse, severity, 2 tags, forward JSON)",
    script: "baselines/ceiling.mjs",
    sinkPath: "/ceiling",
    targets: { ceiling: "all" },
  },
  {
    id: "otel-sdk",
    title: "baseline 2: hand-written with @opentelemetry/sdk-logs (OTLP/HTTP protobuf)",
    script: "baselines/otel-sdk.mjs",
    sinkPath: "/sdk/v1/logs",
    targets: { sdk: "all" },
  },
];
