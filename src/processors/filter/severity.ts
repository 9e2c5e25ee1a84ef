import type { LogRecord } from "../../pdata/logs.js";

/** The five detection levels, lowest first (facts/detection-model.md, "Severity scale"). */
export const LEVELS = ["info", "low", "medium", "high", "critical"] as const;
export type Level = (typeof LEVELS)[number];

/** The rank of a record's level, or undefined when it carries none Tripline can read. */
export function levelOf(record: LogRecord): number | undefined {
  const attribute = record.attributes["detection.severity"];
  if (typeof attribute === "string") {
    const rank = (LEVELS as readonly string[]).indexOf(attribute.toLowerCase());
    if (rank >= 0) return rank;
  }
  return levelOfNumber(record.severityNumber);
}

/**
 * OTel severity numbers onto the detection scale: INFO 9 and below is info, WARN 13 low,
 * WARN2–4 medium, ERROR high, FATAL critical. 0 (unspecified) has no level.
 */
export function levelOfNumber(n: number): number | undefined {
  if (!Number.isInteger(n) || n <= 0 || n > 24) return undefined;
  if (n <= 12) return 0;
  if (n === 13) return 1;
  if (n <= 16) return 2;
  if (n <= 20) return 3;
  return 4;
}
