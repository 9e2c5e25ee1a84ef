import type { LogRecord } from "../../pdata/logs.js";

/** RFC 3339 in UTC with all nine fractional digits, so nanosecond times survive as text. */
export function nanosToIso(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, "0");
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** When a record happened: its own time, or when it was observed if the source gave none. */
export function seenAt(record: LogRecord): bigint {
  return record.time > 0n ? record.time : record.observedTime;
}
