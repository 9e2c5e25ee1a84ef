import type { AnyValue } from "../../pdata/value.js";

export const TIME_UNITS = ["s", "ms", "us", "ns"] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

const NS_PER: Record<TimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

// Date.parse keeps milliseconds only; sources such as Falco write nanoseconds, so the fraction
// is read by hand and added to the whole seconds Date.UTC gives.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Nanoseconds from an RFC 3339 / ISO 8601 timestamp with a zone, keeping every digit up to ns. */
export function parseIsoTime(text: string): bigint {
  const m = ISO.exec(text.trim());
  if (!m) throw new Error(`expected an ISO 8601 time with a zone, got ${JSON.stringify(text)}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  // Checked by arithmetic rather than a Date round trip: this runs once per detection.
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  )
    throw new Error(`not a valid date and time: ${JSON.stringify(text)}`);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const sign = m[9];
  const offsetMin = sign ? (sign === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  const frac = m[7];
  // Nine digits or fewer fit a double exactly, so no BigInt parse of text is needed.
  const fractionNs = frac ? Number(frac.length >= 9 ? frac.slice(0, 9) : frac.padEnd(9, "0")) : 0;
  return BigInt(ms - offsetMin * 60_000) * 1_000_000n + BigInt(fractionNs);
}

/**
 * Picks the unit of a bare epoch number by its size, as log shippers do: below 1e11 seconds
 * (until year 5138), below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
 */
export function guessUnit(whole: bigint): TimeUnit {
  if (whole < 100_000_000_000n) return "s";
  if (whole < 100_000_000_000_000n) return "ms";
  if (whole < 100_000_000_000_000_000n) return "us";
  return "ns";
}

function fromDecimal(whole: string, frac: string, unit: TimeUnit | undefined): bigint {
  const w = BigInt(whole);
  const per = NS_PER[unit ?? guessUnit(w)];
  const digits = per.toString().length - 1; // fraction digits the unit can hold in ns
  const f = digits > 0 ? BigInt(frac.slice(0, digits).padEnd(digits, "0")) : 0n;
  return w * per + f;
}

/**
 * A payload time in ns: an ISO 8601 string, or epoch seconds / ms / µs / ns as a number or a
 * numeric string (unit given, or guessed by size). Numeric strings keep full precision; JSON
 * numbers above 2^53 (epoch ns) have already lost their last digits when the JSON was parsed.
 */
export function parseTime(value: AnyValue, unit?: TimeUnit): bigint {
  if (typeof value === "bigint") {
    if (value < 0n) throw new Error("expected a time after 1970");
    return value * NS_PER[unit ?? guessUnit(value)];
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`expected a time, got ${value}`);
    if (Number.isInteger(value)) return fromDecimal(BigInt(value).toString(), "", unit);
    const m = DECIMAL.exec(String(value));
    if (m) return fromDecimal(m[1]!, m[2] ?? "", unit);
    return BigInt(Math.round(value * Number(NS_PER[unit ?? "s"])));
  }
  if (typeof value === "string") {
    const m = DECIMAL.exec(value.trim());
    return m ? fromDecimal(m[1]!, m[2] ?? "", unit) : parseIsoTime(value);
  }
  throw new Error(`expected a time as an ISO 8601 string or an epoch number`);
}
