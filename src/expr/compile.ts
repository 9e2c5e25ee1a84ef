/**
 * Turns parsed OTTL into closures once, at config time: paths become direct field reads,
 * regexes are compiled, enums become numbers. Evaluating a record never touches the parser.
 */
import type { LogRecord } from "../pdata/logs.js";
import type { BoolNode, ValueNode } from "./ast.js";
import { EDITORS, type EditorArgs } from "./editors.js";
import { OttlParseError, OttlRuntimeError } from "./errors.js";
import { CONVERTERS, ENUMS, type Getter } from "./functions.js";
import { Parser } from "./parser.js";
import { type PathAccess, type PathContext, resolvePath, type WriteTarget } from "./paths.js";
import { compileRegex } from "./regex.js";
import { compare, describeValue, isMap, type Value } from "./values.js";

export type Condition = (record: LogRecord) => boolean;

export interface CompileOptions {
  /** How paths resolve: `log` (the default) or `resource`, as in the Collector's contexts. */
  context?: PathContext;
}

export interface CompiledStatement {
  readonly source: string;
  /** Runs the editor on the record when the `where` condition holds (or there is none). */
  run(record: LogRecord): void;
  /** Which objects the statement may change; resource and scope are shared by records. */
  readonly writes: WriteTarget;
}

class Compiler {
  constructor(
    private readonly source: string,
    private readonly context: PathContext,
  ) {}

  fail(reason: string, pos: number): never {
    throw new OttlParseError(reason, pos + 1, this.source);
  }

  bool(node: BoolNode): Condition {
    switch (node.kind) {
      case "or": {
        const left = this.bool(node.left);
        const right = this.bool(node.right);
        return (r) => left(r) || right(r);
      }
      case "and": {
        const left = this.bool(node.left);
        const right = this.bool(node.right);
        return (r) => left(r) && right(r);
      }
      case "not": {
        const operand = this.bool(node.operand);
        return (r) => !operand(r);
      }
      case "compare": {
        const left = this.value(node.left);
        const right = this.value(node.right);
        const op = node.op;
        return (r) => compare(op, left(r), right(r));
      }
      case "value": {
        const value = node.value;
        if (value.kind === "literal") {
          const constant = value.value === true;
          return () => constant;
        }
        if (value.kind === "call" && !CONVERTERS[value.name]?.bool && CONVERTERS[value.name]) {
          this.fail(
            `${value.name} does not return a boolean; compare its result (e.g. ${value.name}(...) > 0)`,
            value.pos,
          );
        }
        const getter = this.value(value);
        return (r) => {
          const result = getter(r);
          if (typeof result !== "boolean") {
            throw new OttlRuntimeError(
              `condition expected a boolean, got ${describeValue(result)}`,
            );
          }
          return result;
        };
      }
    }
  }

  value(node: ValueNode): Getter {
    switch (node.kind) {
      case "literal": {
        const constant = node.value;
        return () => constant;
      }
      case "enum": {
        const n = ENUMS[node.name];
        if (n === undefined)
          this.fail(
            `unknown enum "${node.name}" (known: SEVERITY_NUMBER_UNSPECIFIED, SEVERITY_NUMBER_TRACE … SEVERITY_NUMBER_FATAL4)`,
            node.pos,
          );
        return () => n;
      }
      case "path":
        return this.path(node).get;
      case "list": {
        const items = node.items.map((item) => this.value(item));
        return (r) => items.map((item) => item(r));
      }
      case "call": {
        const spec = CONVERTERS[node.name];
        if (!spec) {
          const hint = EDITORS[node.name.toLowerCase()]
            ? ""
            : `; known converters: ${Object.keys(CONVERTERS).join(", ")}`;
          this.fail(`unknown converter "${node.name}"${hint}`, node.pos);
        }
        const getter = spec.compile(
          this.args(node.name, node.args, node.pos, spec.params, spec.optional ?? 0),
        );
        if (node.keys.length === 0) return getter;
        const keys = node.keys.map((k) => k.value);
        return (r) => {
          let current: Value = getter(r);
          for (const key of keys) {
            if (typeof key === "string" && isMap(current)) current = current[key] ?? null;
            else if (typeof key === "number" && Array.isArray(current))
              current = current[key] ?? null;
            else
              throw new OttlRuntimeError(
                `cannot index ${describeValue(current)} with ${JSON.stringify(key)}`,
              );
          }
          return current;
        };
      }
    }
  }

  path(node: Extract<ValueNode, { kind: "path" }>): PathAccess {
    return resolvePath(node, this.context, this.source);
  }

  args(
    name: string,
    nodes: ValueNode[],
    pos: number,
    params: readonly string[],
    optional: number,
  ): EditorArgs {
    const min = params.length - optional;
    if (nodes.length < min || nodes.length > params.length) {
      const expected = min === params.length ? `${min}` : `${min} to ${params.length}`;
      this.fail(
        `${name}(${params.join(", ")}) takes ${expected} argument${params.length === 1 ? "" : "s"}, got ${nodes.length}`,
        pos,
      );
    }
    const at = (i: number): ValueNode => nodes[i]!;
    const what = (i: number) => `argument ${i + 1} (${params[i]}) of ${name}`;
    const fail = (i: number, reason: string): never =>
      this.fail(`${what(i)}: ${reason}`, at(i).pos);
    const literal = (i: number, type: "string" | "int"): Value => {
      const node = at(i);
      if (node.kind !== "literal" || node.type !== type)
        fail(i, `expected a${type === "int" ? "n int" : " string"} literal`);
      return (node as { value: Value }).value;
    };
    const args: EditorArgs = {
      nodes,
      name,
      fail,
      value: (i) => this.value(at(i)),
      string: (i) => literal(i, "string") as string,
      int: (i) => Number(literal(i, "int")),
      strings: (i) => {
        const node = at(i);
        if (node.kind !== "list") fail(i, 'expected a list of string literals, e.g. ["a", "b"]');
        return (node as { items: ValueNode[] }).items.map((item) => {
          if (item.kind !== "literal" || item.type !== "string")
            this.fail(`${what(i)}: expected a string literal`, item.pos);
          return item.value as string;
        });
      },
      regex: (i, global) => {
        const pattern = args.string(i);
        try {
          return compileRegex(pattern, global);
        } catch (error) {
          return fail(i, `invalid regex: ${(error as Error).message}`);
        }
      },
      path: (i, settable) => {
        const node = at(i);
        if (node.kind !== "path") return fail(i, 'expected a path such as attributes["key"]');
        const access = this.path(node);
        if (settable && !access.set) fail(i, `${access.text} cannot be set`);
        return access;
      },
    };
    return args;
  }
}

/** Compiles a boolean OTTL expression, e.g. `attributes["detection.severity"] == "high"`. */
export function compileCondition(source: string, options: CompileOptions = {}): Condition {
  const node = new Parser().parseCondition(source);
  return new Compiler(source, options.context ?? "log").bool(node);
}

/** Compiles a single value, e.g. `Concat([attributes["a"], body], ": ")`. */
export function compileValue(source: string, options: CompileOptions = {}): Getter {
  const node = new Parser().parseValue(source);
  return new Compiler(source, options.context ?? "log").value(node);
}

/** Compiles `editor(args…) [where condition]`, e.g. `set(attributes["x"], 1) where body != nil`. */
export function compileStatement(source: string, options: CompileOptions = {}): CompiledStatement {
  const node = new Parser().parseStatement(source);
  const compiler: Compiler = new Compiler(source, options.context ?? "log");
  const { name, args, pos } = node.editor;
  const spec = EDITORS[name];
  if (!spec) {
    compiler.fail(
      `unknown editor "${name}"; known editors: ${Object.keys(EDITORS).join(", ")}`,
      pos,
    );
  }
  const editor = spec.compile(compiler.args(name, args, pos, spec.params, spec.optional ?? 0));
  const where = node.where ? compiler.bool(node.where) : undefined;
  const run = where
    ? (r: LogRecord) => {
        if (where(r)) editor.run(r);
      }
    : editor.run;
  return { source, run, writes: editor.writes };
}
