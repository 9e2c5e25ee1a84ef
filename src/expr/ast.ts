import type { AnyValue } from "../pdata/value.js";

/** A `["key"]` or `[0]` index after a path or converter. */
export interface KeyNode {
  value: string | number;
  pos: number;
}

export type LiteralType = "string" | "int" | "float" | "bool" | "nil";

export type ValueNode =
  | { kind: "literal"; type: LiteralType; value: AnyValue; pos: number }
  | { kind: "path"; fields: { name: string; pos: number }[]; keys: KeyNode[]; pos: number }
  | { kind: "enum"; name: string; pos: number }
  | { kind: "call"; name: string; args: ValueNode[]; keys: KeyNode[]; pos: number }
  | { kind: "list"; items: ValueNode[]; pos: number };

export const COMPARE_OPS = ["==", "!=", "<", "<=", ">", ">="] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export type BoolNode =
  | { kind: "or" | "and"; left: BoolNode; right: BoolNode; pos: number }
  | { kind: "not"; operand: BoolNode; pos: number }
  | { kind: "compare"; op: CompareOp; left: ValueNode; right: ValueNode; pos: number }
  /** A bare boolean: `true`, `false` or a converter such as `IsMatch(...)`. */
  | { kind: "value"; value: ValueNode; pos: number };

/** `editor(args…) [where condition]`. */
export interface StatementNode {
  editor: { name: string; args: ValueNode[]; pos: number };
  where?: BoolNode;
}
