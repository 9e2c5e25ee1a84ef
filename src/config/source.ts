import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  type YAMLMap,
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
    diagnostics.push({
      severity: "error",
      path: [],
      message: `cannot read config file ${file} (${code})`,
    });
    return { value: {}, locations, diagnostics };
  }

  const lineCounter = new LineCounter();
  // Duplicate keys are found by the walker, which knows their path, so the rest still validates.
  const doc = parseDocument(source, {
    lineCounter,
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };

  for (const error of doc.errors) {
    const message = `invalid YAML: ${error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`;
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
      message:
        "expected a mapping with receivers, processors, exporters and service at the top level",
    });
    return { value: {}, locations, diagnostics };
  }
  return { value: value as Record<string, unknown>, locations, diagnostics };
}

function keyName(key: Node | null): string {
  return String(isScalar(key) ? key.value : key);
}

/** Turns the YAML AST into plain values, so positions, references and merges are handled in one pass. */
class Walker {
  /** Mappings already checked for duplicate keys (an aliased mapping is walked once per use). */
  private readonly checked = new WeakSet<YAMLMap>();
  /** Collections being walked, to catch an alias used inside the node it names. */
  private readonly open = new Set<Node>();

  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => SourceLocation,
    private readonly expand: ExpandOptions,
    private readonly locations: LocationMap,
    private readonly diagnostics: Diagnostic[],
  ) {}

  toValue(node: Node, path: PathSegment[]): unknown {
    if (isAlias(node)) {
      const target = this.resolve(node, path);
      return target ? this.toValue(target, path) : null;
    }
    const location = node.range ? this.at(node.range[0]) : undefined;
    if (location && !this.locations.values.has(pathKey(path))) {
      this.locations.values.set(pathKey(path), location);
    }
    if (isScalar(node)) return this.scalar(node, path, location);
    if (isSeq(node)) {
      this.open.add(node);
      const out = node.items.map((item, i) => this.toValue(item as Node, [...path, i]));
      this.open.delete(node);
      return out;
    }
    if (isMap(node)) {
      this.open.add(node);
      // Own keys first, then `<<` merges in order, so own keys win as YAML's merge key spec says.
      // A merged value that an own key overrides is never walked, so its location (or its
      // ${env:…} reference) cannot be attached to the value that replaced it.
      const out: Record<string, unknown> = Object.create(null);
      for (const pair of this.entries(node, path)) {
        const key = pair.key as Node | null;
        const name = keyName(key);
        if (name in out) continue;
        const childPath = [...path, name];
        if (key?.range) this.locations.keys.set(pathKey(childPath), this.at(key.range[0]));
        out[name] = pair.value ? this.toValue(pair.value as Node, childPath) : null;
      }
      this.open.delete(node);
      this.checkDuplicates(node, path);
      return out;
    }
    return null;
  }

  /** The node an alias stands for; undefined (reported) when it would contain itself. */
  private resolve(alias: Alias, path: PathSegment[]): Node | undefined {
    const target = alias.resolve(this.doc) as Node | undefined;
    if (!target || !this.open.has(target)) return target;
    this.diagnostics.push({
      severity: "error",
      location: alias.range ? this.at(alias.range[0]) : undefined,
      path,
      message: `alias *${alias.source} is used inside the node it refers to (a recursive alias)`,
    });
    return undefined;
  }

  private checkDuplicates(node: YAMLMap, path: PathSegment[]): void {
    if (this.checked.has(node)) return;
    this.checked.add(node);
    const first = new Map<string, Node | null>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (isScalar(key) && typeof key.value === "symbol") continue; // several `<<` are fine
      const name = keyName(key);
      if (!first.has(name)) {
        first.set(name, key);
        continue;
      }
      const earlier = first.get(name)?.range;
      this.diagnostics.push({
        severity: "error",
        location: key?.range ? this.at(key.range[0]) : undefined,
        path: [...path, name],
        message: `duplicate key "${name}"${earlier ? ` (first at line ${this.at(earlier[0]).line})` : ""}`,
      });
    }
  }

  /** A mapping's pairs: its own first, then those of its `<<` sources (recursively), in order. */
  private entries(node: YAMLMap, path: PathSegment[]): Pair[] {
    const own: Pair[] = [];
    const merged: Pair[] = [];
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (!isScalar(key) || typeof key.value !== "symbol") {
        own.push(pair);
        continue;
      }
      const value = pair.value as Node | null;
      for (const source of isSeq(value) ? (value.items as Node[]) : [value]) {
        const resolved = isAlias(source) ? this.resolve(source, path) : source;
        if (isMap(resolved)) {
          this.open.add(resolved);
          merged.push(...this.entries(resolved, path));
          this.open.delete(resolved);
          continue;
        }
        if (isAlias(source) && !resolved) continue;
        const at = source?.range ?? key.range;
        this.diagnostics.push({
          severity: "error",
          location: at ? this.at(at[0]) : undefined,
          path,
          message:
            'the merge key "<<" takes a mapping or an alias of one (<<: *name), or a list of them',
        });
      }
    }
    return [...own, ...merged];
  }

  private scalar(node: Scalar, path: PathSegment[], location?: SourceLocation): unknown {
    if (typeof node.value !== "string") return node.value;
    const quoted = node.type !== Scalar.PLAIN;
    const result = expandScalar(node.value, quoted, this.expand);
    if (result.references.length === 0) return result.value;
    if (location) {
      this.locations.values.set(pathKey(path), {
        ...location,
        reference: result.references.join(", "),
      });
    }
    for (const message of result.errors) {
      this.diagnostics.push({ severity: "error", location, path, message });
    }
    return result.value;
  }
}
