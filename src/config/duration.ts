import { z } from "zod";

const MESSAGE = 'expected a duration such as "200ms", "5s" or "1m"';
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses "200ms", "1.5s", "2m" or "1h" into milliseconds; throws on anything else. */
export function parseDuration(s: string): number {
  const match = PATTERN.exec(s);
  if (!match) throw new Error(`${MESSAGE} (got ${JSON.stringify(s)})`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * A duration as the Collector writes it ("200ms", "5s", "1m"), or a plain number of
 * milliseconds; parses to milliseconds. Use `.prefault("200ms")` for defaults so the default
 * is written, and parsed, like a config value.
 */
export const duration = z
  .union(
    [
      z.string().regex(PATTERN, { error: MESSAGE }).transform(parseDuration),
      z.number().finite().nonnegative({ error: MESSAGE }),
    ],
    { error: MESSAGE },
  )
  .describe('a duration such as "200ms", "5s" or "1m", or milliseconds');
