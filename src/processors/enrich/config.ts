import { z } from "zod";
import { duration } from "../../config/duration.js";

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const lookupSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .describe("CSV (with a header row) or YAML table, relative to the config file's folder."),
  key: z
    .string()
    .min(1)
    .describe("Attribute whose value is looked up, e.g. gen_ai.agent.id (record, then resource)."),
  key_column: z
    .string()
    .min(1)
    .optional()
    .describe("Table column holding the key. Default: the first column (YAML map: its keys)."),
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe("Columns to add as attributes. Default: every column but the key column."),
  prefix: z.string().default("").describe("Prepended to each added attribute name."),
  default: z
    .record(z.string(), scalar)
    .default({})
    .describe("Column values used when the key is absent from the record or the table."),
  reload: z.boolean().default(true).describe("Re-read the file when it changes."),
  reload_interval: duration
    .prefault("10s")
    .refine((ms) => ms > 0, "reload_interval must be above 0")
    .describe("How often the file is checked for a change (size, mtime or inode)."),
});

export type LookupConfig = z.output<typeof lookupSchema>;

export const enrichConfigSchema = z
  .strictObject({
    tags: z
      .record(z.string(), scalar)
      .default({})
      .describe("Static attributes to add, name → value."),
    from_env: z
      .record(z.string(), z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a variable name"))
      .default({})
      .describe("Attributes read from environment variables at start, name → variable."),
    resource: z
      .boolean()
      .default(false)
      .describe("Put tags and from_env on the resource instead of each record."),
    override: z
      .boolean()
      .default(false)
      .describe("Replace attributes that already have a value (default: only fill in)."),
    lookups: z
      .array(lookupSchema)
      .default([])
      .describe(
        "Tables joined on an attribute: {file, key, key_column, columns, prefix, default, reload}.",
      ),
  })
  .refine(
    (c) => Object.keys(c.tags).length + Object.keys(c.from_env).length + c.lookups.length > 0,
    "set at least one of tags, from_env or lookups",
  );

export type EnrichConfig = z.output<typeof enrichConfigSchema>;
