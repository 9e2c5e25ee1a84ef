import { z } from "zod";
import { actionsOption } from "../attributes/config.js";

/** The same actions as the attributes processor, applied to resource attributes. */
export const resourceConfigSchema = z.strictObject({
  attributes: actionsOption.describe(
    "Ordered list of {key, action, value, from_attribute, pattern, …} run on resource attributes.",
  ),
});

export type ResourceConfig = z.output<typeof resourceConfigSchema>;
