import {
  AGENT_TRACE_EVENT_NAME,
  ATTR,
  DETECTION_EVENT_NAME,
  type DetectionSeverity,
  severityNumberOf,
} from "../../pdata/detection.js";
import type { LogRecord } from "../../pdata/logs.js";
import type { AnyValue } from "../../pdata/value.js";
import { isPlainObject } from "../../pdata/value.js";
import { type DetectionConfig, detectionConfigSchema } from "./config.js";
import { ResourceInterner } from "./intern.js";
import { type Mapped, MappingError, type Payload, type Preset } from "./mapping.js";
import { PRESETS } from "./presets/index.js";

function typeName(value: AnyValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  return `a ${typeof value}`;
}

/**
 * The vendor object in a record body. A string body holding a JSON object (as file and OTLP
 * sources often deliver it) is parsed; anything else cannot be mapped.
 */
function payloadOf(body: AnyValue): Payload {
  if (isPlainObject(body)) return body;
  if (typeof body === "string" && body.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new MappingError("body is a string that is not valid JSON; expected a JSON object");
    }
    if (isPlainObject(parsed)) return parsed as Payload;
  }
  throw new MappingError(`body is ${typeName(body)}; expected the source's JSON object`);
}

function rawJson(body: AnyValue, payload: Payload): string {
  if (typeof body === "string") return body;
  return JSON.stringify(payload, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Already in the model (e.g. OTLP from another Tripline): left exactly as it is. */
function isModelled(record: LogRecord): boolean {
  return (
    (record.eventName === DETECTION_EVENT_NAME || record.eventName === AGENT_TRACE_EVENT_NAME) &&
    typeof record.attributes[ATTR.severity] === "string"
  );
}

export type MapOutcome = "mapped" | "unchanged" | "dropped";

/**
 * Rewrites one record in place with a preset: the detection processor's core, usable inline by
 * a receiver. Throws MappingError (leaving the record untouched) when the payload cannot be read.
 */
export class DetectionMapper {
  private readonly preset: Preset;
  private readonly severityMap: Map<string, DetectionSeverity>;
  private readonly resources = new ResourceInterner();

  constructor(
    readonly config: DetectionConfig,
    /** Called for each record given default_severity (for a self-telemetry counter). */
    private readonly onDefaulted: () => void = () => {},
  ) {
    this.preset = PRESETS[config.preset];
    this.severityMap = new Map(
      Object.entries(config.severity_map).map(([k, v]) => [k.toLowerCase(), v]),
    );
  }

  /** A mapper from a raw options object (e.g. `{preset: "falco"}`), validated and defaulted. */
  static fromOptions(options: unknown, onDefaulted?: () => void): DetectionMapper {
    return new DetectionMapper(detectionConfigSchema.parse(options), onDefaulted);
  }

  map(record: LogRecord): MapOutcome {
    if (isModelled(record)) return "unchanged";
    const payload = payloadOf(record.body);
    const mapped = this.preset.map(payload, this.config);
    if (mapped.drop) return "dropped";
    this.apply(record, payload, mapped);
    return "mapped";
  }

  private apply(record: LogRecord, payload: Payload, mapped: Mapped): void {
    const key = mapped.severityKey;
    const known =
      key === undefined ? undefined : (this.severityMap.get(key) ?? this.preset.scale[key]);
    const severity = known ?? this.config.default_severity;

    const attributes = mapped.attributes;
    attributes[ATTR.severity] = severity;
    if (!known) {
      attributes[ATTR.severityDefaulted] = true;
      this.onDefaulted();
    }
    if (this.config.keep_raw === "attribute") attributes[ATTR.raw] = rawJson(record.body, payload);

    record.eventName = mapped.eventName;
    if (mapped.time !== undefined) record.time = mapped.time;
    record.severityText = mapped.severityText;
    record.severityNumber = severityNumberOf(severity);
    if (this.config.keep_raw !== "body") record.body = mapped.body;
    // One spread at the end, not a copy per step: an object built key by key (`a[key] = v`)
    // past about 16 keys becomes a hash table in V8, which every later walk over its keys
    // (each encoder, each processor) pays for at ~20× the cost; a spread gives a fast object.
    record.attributes = { ...record.attributes, ...attributes };
    if (mapped.traceId) record.traceId = mapped.traceId;
    if (mapped.spanId) record.spanId = mapped.spanId;
    record.resource = this.resources.intern(record.resource, mapped.resource);
  }
}
