import type { LogRecord } from "../../pdata/logs.js";
import type { AnyValue } from "../../pdata/value.js";
import { toJson } from "../datadog_logs/encode.js";

/**
 * Text templates for event titles, texts and aggregation keys. Placeholders use the OTTL paths
 * the rest of the config uses, with `??` for a fallback:
 *
 *   {{attributes["detection.category"]}} on {{resource.attributes["service.name"] ?? "unknown"}}
 *
 * Paths: body, severity_text, severity_number, event_name, trace_id, span_id,
 * attributes["…"], resource.attributes["…"]. An absent value renders as "". The grammar is
 * this small on purpose (no functions, no conditionals), so it is parsed here by hand rather
 * than with a general template engine whose syntax would differ from OTTL's.
 */
export type Template = (record: LogRecord) => string;

type Getter = (record: LogRecord) => AnyValue | undefined;

const FIELDS: Record<string, Getter> = {
  body: (r) => r.body,
  severity_text: (r) => r.severityText || undefined,
  severity_number: (r) => r.severityNumber || undefined,
  event_name: (r) => r.eventName,
  trace_id: (r) => r.traceId,
  span_id: (r) => r.spanId,
};

const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const PATH = new RegExp(String.raw`^(resource\.)?attributes\[(${STRING})\]$`);

function term(source: string): Getter {
  const text = source.trim();
  if (text.startsWith('"')) {
    if (!new RegExp(`^${STRING}$`).test(text)) throw new Error(`bad string literal ${text}`);
    const literal = JSON.parse(text) as string;
    return () => literal;
  }
  const field = FIELDS[text];
  if (field) return field;
  const match = PATH.exec(text);
  if (match) {
    const key = JSON.parse(match[2]!) as string;
    return match[1]
      ? (r) => r.resource.attributes[key] ?? undefined
      : (r) => r.attributes[key] ?? undefined;
  }
  throw new Error(
    `unknown path ${JSON.stringify(text)}; expected attributes["name"], ` +
      `resource.attributes["name"], ${Object.keys(FIELDS).join(", ")} or a "string"`,
  );
}

function render(value: AnyValue): string {
  return typeof value === "string" ? value : JSON.stringify(toJson(value));
}

/** Splits on `??` outside string literals. */
function alternatives(expression: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === "?" && expression[i + 1] === "?") {
      out.push(expression.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  out.push(expression.slice(start));
  return out;
}

/** Compiles once; throws with the offending placeholder when the template is malformed. */
export function compileTemplate(source: string): Template {
  const parts: (string | Getter[])[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open === -1) {
      parts.push(rest);
      break;
    }
    if (open > 0) parts.push(rest.slice(0, open));
    const close = rest.indexOf("}}", open + 2);
    if (close === -1) throw new Error(`unclosed "{{" in template ${JSON.stringify(source)}`);
    const expression = rest.slice(open + 2, close);
    const options = alternatives(expression);
    if (options.some((o) => o.trim() === "")) {
      throw new Error(`bad placeholder {{${expression}}}`);
    }
    parts.push(options.map(term));
    rest = rest.slice(close + 2);
  }
  return (record) => {
    let out = "";
    for (const part of parts) {
      if (typeof part === "string") {
        out += part;
        continue;
      }
      for (const get of part) {
        const value = get(record);
        if (value !== undefined && value !== null && value !== "") {
          out += render(value);
          break;
        }
      }
    }
    return out;
  };
}

/** Error text for config validation, or undefined when the template compiles. */
export function templateError(source: string): string | undefined {
  try {
    compileTemplate(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
