import type { AnyValue } from "../../pdata/value.js";

export const TIME_UNITS = ["s", "ms", "us", "ns"] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

const NS_PER: Record<TimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

// Date.parse keeps milliseconds only; sources such as Falco write nanoseconds, so the fraction
// is read by hand and added to the whole seconds Date.UTC gives.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Nanoseconds from an RFC 3339 / ISO 8601 timestamp with a zone, keeping every digit up to ns. */
export function parseIsoTime(text: string): bigint {
  const m = ISO.exec(text.trim());
  if (!m) throw new Error(`expected an ISO 8601 time with a zone, got ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac = "", , sign, oh = "0", om = "0"] = m;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s));
  const date = new Date(ms);
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 60
  )
    throw new Error(`not a valid date and time: ${JSON.stringify(text)}`);
  const offsetMin = sign ? (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const fractionNs = BigInt(frac.slice(0, 9).padEnd(9, "0"));
  return BigInt(ms - offsetMin * 60_000) * 1_000_000n + fractionNs;
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
