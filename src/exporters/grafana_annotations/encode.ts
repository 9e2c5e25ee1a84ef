import type { LogRecord } from "../../pdata/logs.js";
import type { AnyValue } from "../../pdata/value.js";
import { textValue } from "../loki/line.js";

/** The body of POST /api/annotations (wire-contracts.md §5): times in epoch ms. */
export interface AnnotationRequest {
  time: number;
  timeEnd?: number;
  tags: string[];
  text: string;
  dashboardUID?: string;
  panelId?: number;
}

export function recordTimeMs(record: LogRecord): number {
  const ns = record.time > 0n ? record.time : record.observedTime;
  return Number(ns / 1_000_000n);
}

function lookup(record: LogRecord, name: string): AnyValue | undefined {
  return record.attributes[name] ?? record.resource.attributes[name] ?? undefined;
}

/** Static tags, then "key:value" for each tag attribute present on the record or resource. */
export function recordTags(
  record: LogRecord,
  tags: Record<string, string>,
  staticTags: string[],
): string[] {
  const out = [...staticTags];
  for (const [key, attribute] of Object.entries(tags)) {
    const value = textValue(lookup(record, attribute));
    if (value !== "") out.push(`${key}:${value}`);
  }
  return out;
}

/** The text once a window closed with more than one record. */
export function countedText(text: string, count: number, windowMs: number): string {
  const minutes = windowMs / 60_000;
  const span = Number.isInteger(minutes) ? `${minutes}m` : `${Math.round(windowMs / 1000)}s`;
  return `${text} (×${count} within ${span})`;
}
