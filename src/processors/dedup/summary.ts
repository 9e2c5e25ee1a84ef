import type { LogRecord } from "../../pdata/logs.js";
import { nanosToIso } from "../internal/timestamp.js";

export const COUNT_ATTRIBUTE = "detection.dedup.count";
export const FIRST_SEEN_ATTRIBUTE = "detection.dedup.first_seen";
export const LAST_SEEN_ATTRIBUTE = "detection.dedup.last_seen";

/** The record a closed window leaves behind: the first record with the tally added. */
export function dedupSummary(
  first: LogRecord,
  count: number,
  firstSeen: bigint,
  lastSeen: bigint,
): LogRecord {
  return {
    ...first,
    attributes: {
      ...first.attributes,
      [COUNT_ATTRIBUTE]: count,
      [FIRST_SEEN_ATTRIBUTE]: nanosToIso(firstSeen),
      [LAST_SEEN_ATTRIBUTE]: nanosToIso(lastSeen),
    },
  };
}
