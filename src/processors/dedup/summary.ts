import type { LogRecord } from "../../pdata/logs.js";
import { tallyRecord } from "../internal/keyed-state.js";

export const COUNT_ATTRIBUTE = "detection.dedup.count";
export const FIRST_SEEN_ATTRIBUTE = "detection.dedup.first_seen";
export const LAST_SEEN_ATTRIBUTE = "detection.dedup.last_seen";

const DEDUP_TALLY = {
  count: COUNT_ATTRIBUTE,
  first: FIRST_SEEN_ATTRIBUTE,
  last: LAST_SEEN_ATTRIBUTE,
};

/** The record a closed window leaves behind: the first record with the tally added. */
export function dedupSummary(
  first: LogRecord,
  count: number,
  firstSeen: bigint,
  lastSeen: bigint,
): LogRecord {
  return tallyRecord(first, DEDUP_TALLY, count, firstSeen, lastSeen);
}
