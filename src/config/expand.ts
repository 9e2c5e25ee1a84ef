import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";

/**
 * `${env:NAME}`, `${env:NAME:-default}` and `${file:PATH}` with `$$` as the escape, as in the
 * Collector's confmap. A set-but-empty variable does not take the default (Collector semantics).
 */
const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Expansion {
  value: unknown;
  /** The references used, e.g. `${env:DD_API_KEY}`; their values must never be printed. */
  references: string[];
  errors: string[];
}

export interface ExpandOptions {
  env: NodeJS.ProcessEnv;
  /** Relative `${file:…}` paths resolve against the directory of the config file. */
  baseDir: string;
}

function resolveReference(
  inner: string,
  options: ExpandOptions,
): { value?: string; error?: string } {
  const colon = inner.indexOf(":");
  if (colon < 0) {
    return ENV_NAME.test(inner)
      ? { error: `"\${${inner}}" has no provider: write "\${env:${inner}}"` }
      : {
          error: `"\${${inner}}" is not a valid reference (expected \${env:NAME} or \${file:PATH})`,
        };
  }
  const provider = inner.slice(0, colon);
  const rest = inner.slice(colon + 1);
  if (provider === "env") {
    const split = rest.indexOf(":-");
    const name = split < 0 ? rest : rest.slice(0, split);
    if (!ENV_NAME.test(name))
      return { error: `"${name}" is not a valid environment variable name` };
    const value = options.env[name];
    if (value !== undefined) return { value };
    if (split >= 0) return { value: rest.slice(split + 2) };
    return {
      error: `environment variable ${name} is not set (and \${env:${name}} has no ":-default")`,
    };
  }
  if (provider === "file") {
    const path = isAbsolute(rest) ? rest : resolve(options.baseDir, rest);
    try {
      // Secret files usually end with a newline that is not part of the secret.
      return { value: readFileSync(path, "utf8").replace(/\r?\n$/, "") };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "read error";
      return { error: `cannot read "\${file:${rest}}" (${code})` };
    }
  }
  return { error: `unknown provider "${provider}" in "\${${inner}}" (expected env or file)` };
}

/**
 * Expands references in one scalar's text. A plain scalar that is exactly one reference is
 * re-read as YAML so `port: ${env:PORT}` yields a number, as the Collector does.
 */
export function expandScalar(text: string, quoted: boolean, options: ExpandOptions): Expansion {
  const references: string[] = [];
  const errors: string[] = [];
  const expanded = text.replace(REFERENCE, (match, inner: string | undefined) => {
    if (match === "$$") return "$";
    const { value, error } = resolveReference(inner ?? "", options);
    references.push(match);
    if (error) errors.push(error);
    return value ?? "";
  });
  if (references.length === 0 && expanded === text) return { value: text, references, errors };
  const wholeReference = references.length === 1 && text.trim() === references[0];
  if (wholeReference && !quoted && errors.length === 0) {
    // parseDocument, not parse: parse prints YAML warnings (with the source text, i.e. the
    // secret) to stderr. Anything that is not clean YAML on its own stays the string it is.
    const doc = parseDocument(expanded);
    if (doc.errors.length === 0 && doc.warnings.length === 0) {
      const typed: unknown = doc.toJS();
      if (typed === null || ["number", "boolean", "string"].includes(typeof typed)) {
        return { value: typed ?? expanded, references, errors };
      }
    }
  }
  return { value: expanded, references, errors };
}
