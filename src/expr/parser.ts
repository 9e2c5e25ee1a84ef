/**
 * A hand-written recursive-descent parser for the OTTL subset Tripline supports. There is no
 * maintained OTTL parser for JavaScript (the reference one is Go, built on participle), and the
 * grammar is small enough that a parser with exact column positions in every error is simpler
 * to keep right than a generated one.
 *
 *   statement  := editor [ "where" condition ]
 *   editor     := lowerIdent "(" [ value { "," value } ] ")"
 *   condition  := andExpr { "or" andExpr }
 *   andExpr    := notExpr { "and" notExpr }
 *   notExpr    := "not" notExpr | "(" condition ")" | value [ compareOp value ]
 *   value      := literal | path | ENUM | Converter "(" args ")" keys | "[" values "]"
 *   path       := ident { "." ident } keys          keys := { "[" (string | int) "]" }
 */
import {
  type BoolNode,
  COMPARE_OPS,
  type CompareOp,
  type KeyNode,
  type StatementNode,
  type ValueNode,
} from "./ast.js";
import { OttlParseError } from "./errors.js";
import { type Token, tokenize } from "./tokenizer.js";

const KEYWORDS = new Set(["and", "or", "not", "where", "true", "false", "nil"]);

function describe(token: Token): string {
  return token.kind === "eof" ? "end of input" : `token "${token.text}"`;
}

function isUpper(name: string): boolean {
  return name[0]! >= "A" && name[0]! <= "Z";
}

/** An identifier in capitals and underscores, like `SEVERITY_NUMBER_INFO`, is an enum. */
function isEnumName(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name);
}

export class Parser {
  private tokens: Token[] = [];
  private index = 0;
  private source = "";

  parseCondition(source: string): BoolNode {
    this.reset(source);
    const node = this.orExpr();
    this.expectEnd();
    return node;
  }

  parseStatement(source: string): StatementNode {
    this.reset(source);
    const name = this.next();
    if (name.kind !== "ident" || KEYWORDS.has(name.text)) {
      this.fail(`expected a function such as set(...) but found ${describe(name)}`, name);
    }
    if (isUpper(name.text)) {
      this.fail(
        `"${name.text}" is a converter; a statement starts with an editor such as set(...)`,
        name,
      );
    }
    this.expect("(", `after "${name.text}"`);
    const args = this.args();
    const statement: StatementNode = { editor: { name: name.text, args, pos: name.pos } };
    if (this.peek().kind === "ident" && this.peek().text === "where") {
      this.index++;
      statement.where = this.orExpr();
    }
    this.expectEnd();
    return statement;
  }

  /** A single value, e.g. the right-hand side of a `set`. */
  parseValue(source: string): ValueNode {
    this.reset(source);
    const node = this.value();
    this.expectEnd();
    return node;
  }

  private reset(source: string): void {
    this.source = source;
    this.tokens = tokenize(source);
    this.index = 0;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.index++;
    return token;
  }

  private fail(reason: string, token: Token): never {
    throw new OttlParseError(reason, token.pos + 1, this.source);
  }

  private isPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "punct" && token.text === text;
  }

  private isKeyword(text: string): boolean {
    const token = this.peek();
    return token.kind === "ident" && token.text === text;
  }

  private expect(text: string, context: string): Token {
    const token = this.next();
    if (token.kind !== "punct" || token.text !== text) {
      this.fail(`expected "${text}" ${context} but found ${describe(token)}`, token);
    }
    return token;
  }

  private expectEnd(): void {
    const token = this.peek();
    if (token.kind !== "eof") this.fail(`unexpected ${describe(token)}`, token);
  }

  private orExpr(): BoolNode {
    let left = this.andExpr();
    while (this.isKeyword("or")) {
      const pos = this.next().pos;
      left = { kind: "or", left, right: this.andExpr(), pos };
    }
    return left;
  }

  private andExpr(): BoolNode {
    let left = this.notExpr();
    while (this.isKeyword("and")) {
      const pos = this.next().pos;
      left = { kind: "and", left, right: this.notExpr(), pos };
    }
    return left;
  }

  private notExpr(): BoolNode {
    if (this.isKeyword("not")) {
      const pos = this.next().pos;
      return { kind: "not", operand: this.notExpr(), pos };
    }
    if (this.isPunct("(")) {
      this.next();
      const inner = this.orExpr();
      this.expect(")", "to close the parenthesis");
      return inner;
    }
    const start = this.peek();
    const left = this.value();
    const op = this.peek();
    if (op.kind === "op" && (COMPARE_OPS as readonly string[]).includes(op.text)) {
      this.next();
      const right = this.value();
      this.noMath();
      return { kind: "compare", op: op.text as CompareOp, left, right, pos: op.pos };
    }
    this.noMath();
    const bare =
      (left.kind === "literal" && left.type === "bool") ||
      (left.kind === "call" && left.keys.length === 0);
    if (!bare) {
      this.fail(
        `expected a comparison operator (==, !=, <, <=, >, >=) after "${this.source.slice(start.pos, op.pos).trim()}" but found ${describe(op)}`,
        op,
      );
    }
    return { kind: "value", value: left, pos: start.pos };
  }

  private noMath(): void {
    const token = this.peek();
    if (token.kind === "op" && !(COMPARE_OPS as readonly string[]).includes(token.text)) {
      this.fail(`math expressions ("${token.text}") are not supported`, token);
    }
  }

  private value(): ValueNode {
    const token = this.next();
    switch (token.kind) {
      case "string":
        return { kind: "literal", type: "string", value: token.value!, pos: token.pos };
      case "int":
        return { kind: "literal", type: "int", value: this.int(token.text), pos: token.pos };
      case "float":
        return { kind: "literal", type: "float", value: Number(token.text), pos: token.pos };
      case "bytes":
        return this.fail("byte literals (0x…) are not supported", token);
      case "op":
        if (
          (token.text === "-" || token.text === "+") &&
          ["int", "float"].includes(this.peek().kind)
        ) {
          const number = this.next();
          if (number.pos !== token.pos + 1)
            this.fail(`no space allowed after the sign "${token.text}"`, number);
          const text = token.text === "-" ? `-${number.text}` : number.text;
          return number.kind === "int"
            ? { kind: "literal", type: "int", value: this.int(text), pos: token.pos }
            : { kind: "literal", type: "float", value: Number(text), pos: token.pos };
        }
        return this.fail(`unexpected ${describe(token)}`, token);
      case "punct":
        if (token.text === "[") return this.list(token);
        if (token.text === "{") return this.fail("map literals ({…}) are not supported", token);
        return this.fail(`unexpected ${describe(token)}`, token);
      case "ident":
        return this.identValue(token);
      default:
        return this.fail(`expected a value but found ${describe(token)}`, token);
    }
  }

  /** Ints beyond 2^53 stay exact as bigint: timestamps in nanoseconds need all 64 bits. */
  private int(text: string): number | bigint {
    const n = BigInt(text);
    if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) {
      this.fail(`integer ${text} does not fit in 64 bits`, this.tokens[this.index - 1]!);
    }
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : n;
  }

  private list(open: Token): ValueNode {
    const items: ValueNode[] = [];
    if (!this.isPunct("]")) {
      do items.push(this.value());
      while (this.isPunct(",") && this.next());
    }
    this.expect("]", "to close the list");
    return { kind: "list", items, pos: open.pos };
  }

  private identValue(token: Token): ValueNode {
    switch (token.text) {
      case "true":
      case "false":
        return { kind: "literal", type: "bool", value: token.text === "true", pos: token.pos };
      case "nil":
        return { kind: "literal", type: "nil", value: null, pos: token.pos };
    }
    if (KEYWORDS.has(token.text)) this.fail(`unexpected keyword "${token.text}"`, token);
    if (this.isPunct("(")) {
      if (!isUpper(token.text)) {
        this.fail(
          `"${token.text}" is an editor and cannot be used as a value; converters start with a capital letter`,
          token,
        );
      }
      this.next();
      const args = this.args();
      return { kind: "call", name: token.text, args, keys: this.keys(), pos: token.pos };
    }
    if (isEnumName(token.text)) return { kind: "enum", name: token.text, pos: token.pos };
    const fields = [{ name: token.text, pos: token.pos }];
    while (this.isPunct(".")) {
      this.next();
      const field = this.next();
      if (field.kind !== "ident")
        this.fail(`expected a field name after "." but found ${describe(field)}`, field);
      fields.push({ name: field.text, pos: field.pos });
    }
    return { kind: "path", fields, keys: this.keys(), pos: token.pos };
  }

  /** Arguments after an opening parenthesis, through the closing one. */
  private args(): ValueNode[] {
    const args: ValueNode[] = [];
    if (!this.isPunct(")")) {
      do args.push(this.value());
      while (this.isPunct(",") && this.next());
    }
    this.expect(")", "to close the argument list");
    return args;
  }

  private keys(): KeyNode[] {
    const keys: KeyNode[] = [];
    while (this.isPunct("[")) {
      this.next();
      const key = this.next();
      if (key.kind === "string") keys.push({ value: key.value!, pos: key.pos });
      else if (key.kind === "int") keys.push({ value: Number(key.text), pos: key.pos });
      else this.fail(`expected a string or integer key but found ${describe(key)}`, key);
      this.expect("]", "to close the key");
    }
    return keys;
  }
}
