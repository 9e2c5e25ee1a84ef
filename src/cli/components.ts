import { z } from "zod";
import type { AnyFactory } from "../component/component.js";
import { factories } from "../components.js";

export interface OptionDoc {
  name: string;
  type: string;
  default?: unknown;
  required: boolean;
  description?: string;
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  default?: unknown;
  description?: string;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
  if (schema.type === "array") return `list of ${schema.items ? typeOf(schema.items) : "any"}`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  return schema.type ?? "any";
}

/** Flattens a component's schema into documented options; nested objects become dotted names. */
export function describeOptions(factory: AnyFactory): OptionDoc[] {
  const json = z.toJSONSchema(factory.configSchema, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
  const out: OptionDoc[] = [];
  const walk = (schema: JsonSchema, prefix: string) => {
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      const name = prefix + key;
      out.push({
        name,
        type: prop.properties ? "object" : typeOf(prop),
        required: (schema.required ?? []).includes(key) && prop.default === undefined,
        ...(prop.default !== undefined ? { default: prop.default } : {}),
        ...(prop.description ? { description: prop.description } : {}),
      });
      if (prop.properties) walk(prop, `${name}.`);
    }
  };
  walk(json, "");
  return out;
}

export function componentsCommand(options: { json?: boolean }): number {
  const docs = factories.map((f) => ({
    kind: f.kind,
    type: f.type,
    description: f.description,
    signals: "signals" in f ? f.signals : f.routes.map(([a, b]) => `${a}->${b}`),
    options: describeOptions(f),
  }));
  if (options.json) {
    console.log(JSON.stringify(docs, null, 2));
    return 0;
  }
  for (const doc of docs) {
    console.log(`${doc.kind} ${doc.type} [${doc.signals.join(", ")}]\n  ${doc.description}`);
    for (const o of doc.options) {
      const dflt =
        o.default !== undefined
          ? ` (default ${JSON.stringify(o.default)})`
          : o.required
            ? " (required)"
            : "";
      console.log(`    ${o.name}: ${o.type}${dflt}${o.description ? ` — ${o.description}` : ""}`);
    }
    console.log("");
  }
  return 0;
}
