import { z } from "zod";
import { compileRegex, regexString } from "../internal/regex.js";

export const ACTIONS = [
  "insert",
  "update",
  "upsert",
  "delete",
  "hash",
  "extract",
  "convert",
  "rename",
] as const;
export type ActionName = (typeof ACTIONS)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);

type Field = "key" | "value" | "from_attribute" | "default_value" | "pattern" | "converted_type";
type ActionField = Field | "new_key";

/** Which options each action reads; any other option set on it is a mistake worth reporting. */
const USES: Record<ActionName, readonly ActionField[]> = {
  insert: ["key", "value", "from_attribute", "default_value"],
  update: ["key", "value", "from_attribute", "default_value"],
  upsert: ["key", "value", "from_attribute", "default_value"],
  delete: ["key", "pattern"],
  hash: ["key", "pattern"],
  extract: ["key", "pattern"],
  convert: ["key", "converted_type"],
  rename: ["key", "new_key"],
};

export const actionSchema = z
  .strictObject({
    key: z.string().min(1).optional().describe("The attribute to act on."),
    action: z
      .enum(ACTIONS)
      .describe("insert | update | upsert | delete | hash | extract | convert | rename"),
    value: scalar.optional().describe("The value to set (insert, update, upsert)."),
    from_attribute: z
      .string()
      .min(1)
      .optional()
      .describe("Copy the value of this attribute instead (insert, update, upsert)."),
    default_value: scalar
      .optional()
      .describe("Used when value/from_attribute gives nothing (insert, update, upsert)."),
    pattern: regexString
      .optional()
      .describe(
        "delete/hash: regex on attribute names. extract: regex with named groups on the value.",
      ),
    converted_type: z
      .enum(["int", "double", "string"])
      .optional()
      .describe("Target type of convert."),
    new_key: z.string().min(1).optional().describe("Target name of rename (a Tripline addition)."),
  })
  .superRefine((a, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    for (const field of Object.keys(a) as (keyof typeof a)[]) {
      if (field !== "action" && a[field] !== undefined && !USES[a.action].includes(field)) {
        issue(field, `${field} is not used by action ${a.action}`);
      }
    }
    switch (a.action) {
      case "insert":
      case "update":
      case "upsert":
        if (a.key === undefined) issue("key", `action ${a.action} needs a key`);
        if (a.value !== undefined && a.from_attribute !== undefined)
          issue("value", "set only one of value and from_attribute");
        if (
          a.value === undefined &&
          a.from_attribute === undefined &&
          a.default_value === undefined
        )
          issue("value", `action ${a.action} needs one of value, from_attribute or default_value`);
        break;
      case "delete":
      case "hash":
        if (a.key === undefined && a.pattern === undefined)
          issue("key", `action ${a.action} needs a key, a pattern, or both`);
        break;
      case "extract":
        if (a.key === undefined) issue("key", "action extract needs a key");
        if (a.pattern === undefined) issue("pattern", "action extract needs a pattern");
        else if (!hasNamedGroup(a.pattern))
          issue(
            "pattern",
            "the extract pattern needs at least one named group, e.g. (?<user>\\w+)",
          );
        break;
      case "convert":
        if (a.key === undefined) issue("key", "action convert needs a key");
        if (a.converted_type === undefined)
          issue("converted_type", "action convert needs converted_type: int, double or string");
        break;
      case "rename":
        if (a.key === undefined) issue("key", "action rename needs a key");
        if (a.new_key === undefined) issue("new_key", "action rename needs a new_key");
        break;
    }
  });

export type ActionConfig = z.output<typeof actionSchema>;

function hasNamedGroup(pattern: string): boolean {
  try {
    return /\(\?<[A-Za-z_]/.test(compileRegex(pattern).source);
  } catch {
    return true; // the pattern's own check reports it
  }
}

export const actionsOption = z
  .array(actionSchema)
  .min(1, "list at least one action")
  .describe("Ordered list of {key, action, value, from_attribute, pattern, …}; applied in order.");

export const attributesConfigSchema = z.strictObject({
  actions: actionsOption,
});

export type AttributesConfig = z.output<typeof attributesConfigSchema>;
