import { z } from "zod";
import { regexString } from "../internal/regex.js";
import { BUILTINS, DEFAULT_BUILTINS } from "./patterns.js";

const names = z.array(z.string().min(1));

export const redactionConfigSchema = z.strictObject({
  builtin: z
    .array(z.enum(BUILTINS))
    .default([...DEFAULT_BUILTINS])
    .describe(
      "Built-in value patterns to mask: api_keys, jwt, email, credit_card (Luhn-checked), " +
        "iban (mod-97-checked), ipv4, ipv6.",
    ),
  blocked_values: z
    .array(regexString)
    .default([])
    .describe("Extra regular expressions; every match in a value is masked."),
  allowed_values: z
    .array(regexString)
    .default([])
    .describe("Regular expressions for matches that stay visible even if a pattern caught them."),
  allow_all_keys: z
    .boolean()
    .default(true)
    .describe(
      "Keep every attribute. false: keep only allowed_keys and ignored_keys, drop the rest.",
    ),
  allowed_keys: names
    .default([])
    .describe("Attributes kept when allow_all_keys is false (their values are still checked)."),
  ignored_keys: names
    .default([])
    .describe("Attributes (and body fields) never checked nor changed."),
  blocked_keys: names
    .default([])
    .describe("Attributes (and body fields) whose whole value is masked."),
  blocked_key_patterns: z
    .array(regexString)
    .default([])
    .describe(
      "Regular expressions on names; matching attributes and body fields are masked whole.",
    ),
  redact_all_types: z
    .boolean()
    .default(false)
    .describe(
      "Also check numbers (e.g. a card number sent as an integer); a masked one becomes a string.",
    ),
  mask: z.string().default("****").describe("What replaces each masked match."),
  summary: z
    .enum(["debug", "info", "silent"])
    .default("info")
    .describe(
      "Attributes added to a redacted record: info = counts and pattern names, debug = also " +
        "the masked keys, silent = none.",
    ),
});

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
