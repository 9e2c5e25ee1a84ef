/**
 * What each instrument measures on a log record: the built-in detection and agent-trace
 * instruments, and the user's OTTL-defined ones.
 */
import { compileCondition, compileValue, type Getter } from "../../expr/index.js";
import { AGENT_TRACE_EVENT_NAME, ATTR, DETECTION_EVENT_NAME } from "../../pdata/detection.js";
import type { LogRecord } from "../../pdata/logs.js";
import type { Attributes } from "../../pdata/value.js";
import type { DetectionMetricsConfig, UserMetricConfig } from "./config.js";
import { Instrument, type InstrumentSpec } from "./instrument.js";

/** One value to add to an instrument, with dimension values the record does not carry. */
export interface Measurement {
  value: unknown;
  extra?: Attributes;
}

export interface Measure {
  instrument: Instrument;
  /** Values to record for this record; empty when the record is not measured. */
  measure(record: LogRecord): Measurement[];
}

const NONE: Measurement[] = [];
const ONE: Measurement[] = [{ value: 1 }];
const INPUT = { "gen_ai.token.type": "input" };
const OUTPUT = { "gen_ai.token.type": "output" };

/**
 * An agent trace: the execlave preset's gen_ai.agent.trace records, and detections that carry
 * gen_ai usage (a policy-blocked trace is both), so usage and cost cover every trace.
 */
export function isAgentTrace(record: LogRecord): boolean {
  if (record.eventName === AGENT_TRACE_EVENT_NAME) return true;
  if (record.eventName !== DETECTION_EVENT_NAME) return false;
  const a = record.attributes;
  return (
    a[ATTR.inputTokens] !== undefined ||
    a[ATTR.outputTokens] !== undefined ||
    a[ATTR.costUsd] !== undefined
  );
}

function attribute(name: string) {
  return (record: LogRecord): Measurement[] => {
    const value = record.attributes[name];
    return value === undefined || !isAgentTrace(record) ? NONE : [{ value }];
  };
}

type Builtin = Exclude<
  keyof DetectionMetricsConfig,
  "interval" | "max_series" | "error_mode" | "metrics"
>;

function builtinSpec(
  config: DetectionMetricsConfig,
  key: Builtin,
  kind: InstrumentSpec["kind"],
  unit: string,
): InstrumentSpec {
  const c = config[key];
  return {
    name: c.name,
    description: c.description,
    unit,
    kind,
    monotonic: true,
    buckets: "buckets" in c ? c.buckets : [],
    dimensions: c.dimensions,
    maxSeries: c.max_series ?? config.max_series,
  };
}

function userMeasure(config: DetectionMetricsConfig, m: UserMetricConfig): Measure {
  const instrument = new Instrument({
    name: m.name,
    description: m.description,
    unit: m.unit,
    kind: m.type,
    monotonic: m.monotonic,
    buckets: m.buckets,
    dimensions: m.dimensions,
    maxSeries: m.max_series ?? config.max_series,
  });
  const where = m.where !== undefined ? compileCondition(m.where) : undefined;
  const value: Getter | undefined = m.value !== undefined ? compileValue(m.value) : undefined;
  return {
    instrument,
    measure(record) {
      if (where && !where(record)) return NONE;
      if (!value) return ONE;
      const v = value(record);
      return v === null || v === undefined ? NONE : [{ value: v }];
    },
  };
}

/** Every enabled instrument with what it measures, in config order. */
export function buildMeasures(config: DetectionMetricsConfig): Measure[] {
  const out: Measure[] = [];
  const add = (key: Builtin, spec: InstrumentSpec, measure: Measure["measure"]) => {
    if (config[key].enabled) out.push({ instrument: new Instrument(spec), measure });
  };
  add("detections", builtinSpec(config, "detections", "counter", "{detection}"), (r) =>
    r.eventName === DETECTION_EVENT_NAME ? ONE : NONE,
  );
  add("agent_traces", builtinSpec(config, "agent_traces", "counter", "{trace}"), (r) =>
    isAgentTrace(r) ? ONE : NONE,
  );
  add("agent_tokens", builtinSpec(config, "agent_tokens", "counter", "{token}"), (r) => {
    if (!isAgentTrace(r)) return NONE;
    const input = r.attributes[ATTR.inputTokens];
    const output = r.attributes[ATTR.outputTokens];
    const out: Measurement[] = [];
    if (input !== undefined) out.push({ value: input, extra: INPUT });
    if (output !== undefined) out.push({ value: output, extra: OUTPUT });
    return out;
  });
  add("agent_cost", builtinSpec(config, "agent_cost", "counter", "{USD}"), attribute(ATTR.costUsd));
  add(
    "agent_duration",
    builtinSpec(config, "agent_duration", "histogram", "ms"),
    attribute(ATTR.durationMs),
  );
  for (const m of config.metrics) out.push(userMeasure(config, m));
  return out;
}
