import { z } from "zod";
import { duration } from "../../config/duration.js";
import { compileCondition, compileValue, OttlParseError } from "../../expr/index.js";

/** The OTel SDK's default explicit bounds, which suit durations in milliseconds. */
export const DEFAULT_DURATION_BUCKETS = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
];

const dimensionValue = z.union([z.string(), z.number(), z.boolean()]);

const dimension = z
  .union([
    z.string().min(1),
    z.strictObject({
      name: z
        .string()
        .min(1)
        .describe("Attribute name, looked up on the record, then the resource."),
      default: dimensionValue
        .optional()
        .describe("Value when neither has the attribute; without it the label is left out."),
    }),
  ])
  .transform((d) => (typeof d === "string" ? { name: d } : d))
  .describe("An attribute name, or {name, default} as in the Collector's spanmetrics connector.");

export type Dimension = z.output<typeof dimension>;

const dimensions = (defaults: string[]) =>
  z
    .array(dimension)
    .prefault(defaults)
    .describe(
      "Attributes that label the series, looked up on the record first, then on its resource. " +
        `Default: ${defaults.join(", ")}.`,
    );

const maxSeries = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe("Series limit for this instrument; default: the connector's max_series.");

const buckets = (defaults: number[]) =>
  z
    .array(z.number().finite())
    .default(defaults)
    .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]!), "must be strictly increasing")
    .describe(
      "Explicit histogram bucket upper bounds, strictly increasing (a +Inf bucket follows).",
    );

function builtin(name: string, description: string, dims: string[]) {
  return {
    enabled: z.boolean().default(true).describe("false: this instrument is not produced."),
    name: z.string().min(1).default(name).describe(`Metric name (default ${name}).`),
    description: z.string().default(description).describe("Metric description."),
    dimensions: dimensions(dims),
    max_series: maxSeries,
  };
}

function ottl(kind: "condition" | "value", compile: (source: string) => unknown) {
  return z.string().superRefine((source, ctx) => {
    try {
      compile(source);
    } catch (error) {
      if (!(error instanceof OttlParseError)) throw error;
      ctx.addIssue({ code: "custom", message: `invalid OTTL ${kind}: ${error.summary}` });
    }
  });
}

const userMetric = z
  .strictObject({
    name: z.string().min(1).describe("Metric name, OTel style (dots), e.g. detections.blocked."),
    type: z
      .enum(["counter", "sum", "histogram"])
      .describe("counter: counts matching records; sum: adds `value`; histogram: records `value`."),
    description: z.string().default("").describe("Metric description."),
    unit: z.string().default("").describe('UCUM unit, e.g. "ms", "By", "{token}".'),
    where: ottl("condition", (s) => compileCondition(s))
      .optional()
      .describe("OTTL condition (log context); only matching records are measured. Default: all."),
    value: ottl("value", (s) => compileValue(s))
      .optional()
      .describe('OTTL value for sum and histogram, e.g. attributes["gen_ai.usage.cost_usd"].'),
    monotonic: z
      .boolean()
      .default(true)
      .describe("sum: true makes a counter (negative values are skipped); false an up-down sum."),
    dimensions: dimensions([]),
    buckets: buckets(DEFAULT_DURATION_BUCKETS),
    max_series: maxSeries,
  })
  .superRefine((m, ctx) => {
    if (m.type !== "counter" && m.value === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: `value is required for a ${m.type}`,
      });
    if (m.type === "counter" && m.value !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: "a counter counts records; use type: sum to add up a value",
      });
  });

export type UserMetricConfig = z.output<typeof userMetric>;

export const detectionMetricsConfigSchema = z
  .strictObject({
    interval: duration
      .prefault("10s")
      .refine((ms) => ms > 0, "must be greater than 0")
      .describe("How often the cumulative series are emitted (also once at shutdown)."),
    max_series: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe(
        "Distinct label sets per instrument (2000, the OTel SDKs' default); further ones fold into one series labelled " +
          "otel.metric.overflow=true, counted by tripline_connector_metric_overflow_total.",
      ),
    error_mode: z
      .enum(["propagate", "ignore", "silent"])
      .default("ignore")
      .describe(
        "What a runtime error in a where or value expression does: ignore logs it and skips " +
          "the measurement; silent skips it quietly; propagate rejects the batch (PermanentError).",
      ),
    detections: z
      .strictObject({
        ...builtin("detections", "Security detections (security.detection records).", [
          "detection.severity",
          "detection.category",
          "detection.action",
          "detection.surface",
          // One per registered agent, usually one per service: the per-agent alerts work out
          // of the box, and max_series bounds the rest (unmanaged agents are still agents).
          "gen_ai.agent.id",
          "service.name",
          "deployment.environment.name",
          "k8s.cluster.name",
          // Namespaces are few and stable; dashboards break clusters down by them.
          "k8s.namespace.name",
        ]),
      })
      .prefault({})
      .describe("Counter of security.detection records (Prometheus: detections_total)."),
    agent_traces: z
      .strictObject({
        ...builtin("gen_ai.agent.traces", "Agent traces by status.", ["gen_ai.agent.id", "status"]),
      })
      .prefault({})
      .describe(
        "Counter of agent traces (gen_ai.agent.trace, or detections carrying gen_ai usage).",
      ),
    agent_tokens: z
      .strictObject({
        ...builtin(
          "gen_ai.usage.tokens",
          "Tokens used by agent traces, by token type (input, output).",
          ["gen_ai.request.model", "gen_ai.token.type"],
        ),
      })
      .prefault({})
      .describe(
        "Sum of gen_ai.usage.input_tokens / output_tokens; gen_ai.token.type is input or output.",
      ),
    agent_cost: z
      .strictObject({
        ...builtin("gen_ai.usage.cost_usd", "Spend reported by agent traces, in US dollars.", [
          "gen_ai.agent.id",
        ]),
      })
      .prefault({})
      .describe("Sum of gen_ai.usage.cost_usd."),
    agent_duration: z
      .strictObject({
        ...builtin("gen_ai.agent.duration", "Agent trace duration.", ["gen_ai.agent.id"]),
        buckets: buckets(DEFAULT_DURATION_BUCKETS),
      })
      .prefault({})
      .describe("Histogram of duration_ms, in ms."),
    metrics: z
      .array(userMetric)
      .default([])
      .describe("User-defined counters, sums and histograms."),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, string>();
    const claim = (name: string, path: (string | number)[]) => {
      const other = seen.get(name);
      if (other)
        ctx.addIssue({
          code: "custom",
          path: [...path, "name"],
          message: `metric name "${name}" is already used by ${other}`,
        });
      else seen.set(name, path.join("."));
    };
    for (const key of [
      "detections",
      "agent_traces",
      "agent_tokens",
      "agent_cost",
      "agent_duration",
    ] as const) {
      if (config[key].enabled) claim(config[key].name, [key]);
    }
    for (const [i, m] of config.metrics.entries()) claim(m.name, ["metrics", i]);
  });

export type DetectionMetricsConfig = z.output<typeof detectionMetricsConfigSchema>;
