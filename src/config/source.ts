import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
} from "yaml";
import type { Diagnostic, PathSegment, SourceLocation } from "./diagnostic.js";
import { type ExpandOptions, expandScalar } from "./expand.js";

/** Where every value and key of the merged config came from, keyed by `pathKey(path)`. */
export interface LocationMap {
  values: Map<string, SourceLocation>;
  keys: Map<string, SourceLocation>;
}

export interface LoadedSource {
  value: Record<string, unknown>;
  locations: LocationMap;
  diagnostics: Diagnostic[];
}

export function pathKey(path: readonly PathSegment[]): string {
  return path.join("\u0000");
}

export function emptyLocations(): LocationMap {
  return { values: new Map(), keys: new Map() };
}

/** Parses one YAML file, expands references and records a location for every node. */
export function loadSource(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  text?: string,
): LoadedSource {
  const locations = emptyLocations();
  const diagnostics: Diagnostic[] = [];
  let source: string;
  try {
    source = text ?? readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "read error";
    diagnostics.push({ severity: "error", path: [], message: `cannot read config file ${file} (${code})` });
    return { value: {}, locations, diagnostics };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };

  for (const error of doc.errors) {
    const message =
      error.code === "DUPLICATE_KEY"
        ? `duplicate key "${duplicateKeyName(source, error.pos[0])}"`
        : `invalid YAML: ${error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`;
    diagnostics.push({ severity: "error", location: at(error.pos[0]), path: [], message });
  }
  if (doc.errors.length > 0) return { value: {}, locations, diagnostics };

  const walker = new Walker(doc, at, { env, baseDir: dirname(file) }, locations, diagnostics);
  const value = doc.contents ? walker.toValue(doc.contents as Node, []) : {};
  if (value === null || value === undefined) return { value: {}, locations, diagnostics };
  if (typeof value !== "object" || Array.isArray(value)) {
    diagnostics.push({
      severity: "error",
      location: at(0),
      path: [],
      message: "expected a mapping with receivers, processors, exporters and service at the top level",
    });
    return { value: {}, locations, diagnostics };
  }
  return { value: value as Record<string, unknown>, locations, diagnostics };
}

function duplicateKeyName(source: string, offset: number): string {
  const rest = source.slice(offset);
  const match = /^["']?([^"':\n]+)/.exec(rest);
  return match?.[1]?.trim() ?? "?";
}

/** Turns the YAML AST into plain values, so positions, references and merges are handled in one pass. */
class Walker {
  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => SourceLocation,
    private readonly expand: ExpandOptions,
    private readonly locations: LocationMap,
    private readonly diagnostics: Diagnostic[],
  ) {}

  toValue(node: Node, path: PathSegment[]): unknown {
    if (isAlias(node)) return this.toValue(node.resolve(this.doc) as Node, path);
    const location = node.range ? this.at(node.range[0]) : undefined;
    if (location && !this.locations.values.has(pathKey(path))) {
      this.locations.values.set(pathKey(path), location);
    }
    if (isScalar(node)) return this.scalar(node, path, location);
    if (isSeq(node)) return node.items.map((item, i) => this.toValue(item as Node, [...path, i]));
    if (isMap(node)) {
      // Own keys first, then `<<` merges, so own keys win as YAML's merge key spec says.
      const out: Record<string, unknown> = Object.create(null);
      const merges: Node[] = [];
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && typeof key.value === "symbol") {
          if (pair.value) merges.push(pair.value as Node);
          continue;
        }
        const name = String(isScalar(key) ? key.value : key);
        const childPath = [...path, name];
        if (key?.range) this.locations.keys.set(pathKey(childPath), this.at(key.range[0]));
        out[name] = pair.value ? this.toValue(pair.value as Node, childPath) : null;
      }
      for (const merge of merges) {
        const sources = isSeq(merge) ? (merge.items as Node[]) : [merge];
        for (const src of sources) {
          const merged = this.toValue(src, path);
          if (merged && typeof merged === "object" && !Array.isArray(merged)) {
            for (const [k, v] of Object.entries(merged)) if (!(k in out)) out[k] = v;
          }
        }
      }
      return out;
    }
    return null;
  }

  private scalar(node: Scalar, path: PathSegment[], location?: SourceLocation): unknown {
    if (typeof node.value !== "string") return node.value;
    const quoted = node.type !== Scalar.PLAIN;
    const result = expandScalar(node.value, quoted, this.expand);
    if (result.references.length === 0) return result.value;
    if (location) {
      this.locations.values.set(pathKey(path), { ...location, reference: result.references.join(", ") });
    }
    for (const message of result.errors) {
      this.diagnostics.push({ severity: "error", location, path, message });
    }
    return result.value;
  }
}
