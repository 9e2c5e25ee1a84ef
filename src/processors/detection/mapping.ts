import type { DetectionSeverity } from "../../pdata/detection.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import type { DetectionConfig } from "./config.js";

/** A vendor payload: the JSON object the detections receiver puts in the record body. */
export type Payload = Record<string, AnyValue>;

/** The payload cannot be read by the preset; the message names the field and the problem. */
export class MappingError extends Error {
  override readonly name = "MappingError";
}

/** What a preset makes of one payload; the processor writes it onto the record. */
export interface Mapped {
  eventName: string;
  /** When it happened, in ns; undefined keeps the record's time (the receiver's arrival time). */
  time?: bigint;
  /** The source's own severity word, kept as severityText. */
  severityText: string;
  /** The key looked up in the severity scale (lower case); undefined when the source has none. */
  severityKey?: string;
  /** The one-line human summary, or the source's own message. */
  body: string;
  /** A fresh object on every call: the mapper adds the severity to it and copies it once. */
  attributes: Attributes;
  resource: Attributes;
  traceId?: string;
  spanId?: string;
  /** The record is not wanted (an execlave trace with include_non_detections: false). */
  drop?: boolean;
}

export interface Preset {
  /** The source's severity scale onto the five levels; `severity_map` entries take precedence. */
  readonly scale: Readonly<Record<string, DetectionSeverity>>;
  /** Pure: the same payload and config always give the same result. Throws MappingError. */
  map(payload: Payload, config: DetectionConfig): Mapped;
}

/** Sets `key` unless the value is absent or an empty list (an empty facet is noise). */
export function put(target: Attributes, key: string, value: AnyValue | undefined): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value) && value.length === 0) return;
  target[key] = value;
}

/** "Prompt Injection" → "prompt_injection": categories are an open snake_case set. */
export function snakeCase(text: string): string {
  return text
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** A W3C trace id (32 hex, not all zero), lower-cased; undefined for anything else. */
export function w3cTraceId(value: string | undefined): string | undefined {
  const id = value?.toLowerCase();
  return id && HEX32.test(id) && !/^0+$/.test(id) ? id : undefined;
}

/** A W3C span id (16 hex, not all zero), lower-cased; undefined for anything else. */
export function w3cSpanId(value: string | undefined): string | undefined {
  const id = value?.toLowerCase();
  return id && HEX16.test(id) && !/^0+$/.test(id) ? id : undefined;
}
