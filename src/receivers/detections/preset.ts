import { z } from "zod";
import type { LogRecord } from "../../pdata/logs.js";
import { DetectionMapper } from "../../processors/detection/mapper.js";

/**
 * The hook where vendor mapping presets plug in. A preset fills a record's canonical detection
 * fields (time, severity, eventName, `detection.*` attributes) from the vendor payload in its
 * body, or throws to reject that one item (it then goes to the response and the dead letter).
 *
 * Presets live in src/processors/detection/presets/; registering one here (name → mapper) is all
 * it takes to make `preset: <name>` valid and applied to every item this receiver accepts.
 */
export type PresetMapper = (record: LogRecord, item: Readonly<Record<string, unknown>>) => void;

/** Presets that need no options of their own; `generic` needs a field map, so it stays a processor. */
const INLINE_PRESETS = ["operant", "execlave", "falco", "ocsf"] as const;

function inlinePreset(name: (typeof INLINE_PRESETS)[number]): PresetMapper {
  const mapper = DetectionMapper.fromOptions({ preset: name });
  return (record) => {
    mapper.map(record);
  };
}

export const PRESETS: Readonly<Record<string, PresetMapper>> = Object.fromEntries(
  INLINE_PRESETS.map((name) => [name, inlinePreset(name)]),
);

export const presetSchema = z
  .string()
  .refine((name) => Object.hasOwn(PRESETS, name), {
    error: (issue) => {
      const known = Object.keys(PRESETS);
      return `unknown preset ${JSON.stringify(issue.input)}; ${
        known.length ? `available: ${known.join(", ")}` : "no presets are available yet"
      }`;
    },
  })
  .optional()
  .describe("vendor mapping applied to every accepted detection; omit to keep the payload as sent");

export function resolvePreset(name: string | undefined): PresetMapper | undefined {
  return name === undefined ? undefined : PRESETS[name];
}
