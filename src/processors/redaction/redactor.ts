import type { LogRecord } from "../../pdata/logs.js";
import { type AnyValue, type Attributes, isPlainObject } from "../../pdata/value.js";
import { compileRegex, escapeRegex } from "../internal/regex.js";
import type { RedactionConfig } from "./config.js";
import { builtinRules, type Rule } from "./patterns.js";

/** What redacting one record did, for the summary attributes. */
export interface Findings {
  /** Attributes dropped because allow_all_keys is false and they are not allowed. */
  redacted: string[];
  /** Attribute paths with at least one masked value (`key` or `key.nested.[0]`). */
  masked: string[];
  /** Body paths with a masked value (`body` for a string body). */
  bodyMasked: string[];
  /** Names of the patterns that fired: builtin names, blocked_values, blocked_keys. */
  patterns: Set<string>;
}

/** Masks secrets in a record's attributes and body, in place. Every regex is compiled once. */
export class Redactor {
  private readonly rules: Rule[];
  private readonly allowedValues: RegExp[];
  private readonly blockedKeyPatterns: RegExp[];
  private readonly allowedKeys: Set<string>;
  private readonly ignoredKeys: Set<string>;
  private readonly blockedKeys: Set<string>;
  /** Any literal of any rule: one search that most values fail, so no rule scans them. */
  private readonly anyLiteral: RegExp | undefined;

  constructor(private readonly config: RedactionConfig) {
    this.rules = [
      ...builtinRules(config.builtin),
      ...config.blocked_values.map((p) => ({
        name: "blocked_values",
        regex: compileRegex(p, "g"),
      })),
    ];
    // Anchored: an allowed pattern must cover the whole span a rule would mask.
    this.allowedValues = config.allowed_values.map((p) => compileRegex(`^(?:${p})$`));
    this.blockedKeyPatterns = config.blocked_key_patterns.map((p) => compileRegex(p));
    this.allowedKeys = new Set(config.allowed_keys);
    this.ignoredKeys = new Set(config.ignored_keys);
    this.blockedKeys = new Set(config.blocked_keys);
    const literals = new Set(this.rules.flatMap((rule) => rule.literals ?? []));
    this.anyLiteral = literals.size
      ? new RegExp([...literals].map(escapeRegex).join("|"))
      : undefined;
  }

  redact(record: LogRecord): Findings {
    const findings: Findings = { redacted: [], masked: [], bodyMasked: [], patterns: new Set() };
    const attrs = record.attributes;
    for (const key of Object.keys(attrs)) {
      if (this.ignoredKeys.has(key)) continue;
      if (!this.config.allow_all_keys && !this.allowedKeys.has(key)) {
        delete attrs[key];
        findings.redacted.push(key);
      } else {
        attrs[key] = this.field(key, attrs[key]!, key, findings.masked, findings.patterns);
      }
    }
    record.body = this.value(record.body, "", findings.bodyMasked, findings.patterns);
    return findings;
  }

  /** Masks every match of every rule in a string; returns the string itself when none fired. */
  redactString(text: string, fired: Set<string>): string {
    let out = text;
    let hasLiteral = this.anyLiteral?.test(out) ?? false;
    for (const rule of this.rules) {
      if (rule.literals) {
        if (!hasLiteral || !rule.literals.some((literal) => out.includes(literal))) continue;
      } else if (rule.mayMatch && !rule.mayMatch(out)) continue;
      const before = out;
      out = out.replace(rule.regex, (match) => {
        const length = rule.check ? rule.check(match) : match.length;
        if (length === 0) return match;
        const secret = match.slice(0, length);
        if (this.allowedValues.some((allowed) => allowed.test(secret))) return match;
        fired.add(rule.name);
        return this.config.mask + match.slice(length);
      });
      // The mask is the user's text and may itself hold a literal.
      if (out !== before) hasLiteral = this.anyLiteral?.test(out) ?? false;
    }
    return out;
  }

  /** A named field (attribute or map entry): blocked names are masked whole. */
  private field(
    name: string,
    value: AnyValue,
    path: string,
    masked: string[],
    fired: Set<string>,
  ): AnyValue {
    if (this.blockedKeys.has(name) || this.blockedKeyPatterns.some((p) => p.test(name))) {
      masked.push(path);
      fired.add("blocked_keys");
      return this.config.mask;
    }
    return this.value(value, path, masked, fired);
  }

  private value(value: AnyValue, path: string, masked: string[], fired: Set<string>): AnyValue {
    if (typeof value === "string") {
      const out = this.redactString(value, fired);
      if (out !== value) masked.push(path || "body");
      return out;
    }
    if ((typeof value === "number" || typeof value === "bigint") && this.config.redact_all_types) {
      const text = String(value);
      const out = this.redactString(text, fired);
      if (out === text) return value;
      masked.push(path || "body");
      return out;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        value[i] = this.value(value[i]!, join(path, `[${i}]`), masked, fired);
      }
      return value;
    }
    if (isPlainObject(value)) {
      for (const [name, child] of Object.entries(value)) {
        if (this.ignoredKeys.has(name)) continue;
        value[name] = this.field(name, child, join(path, name), masked, fired);
      }
    }
    return value;
  }
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/**
 * Adds the summary with the Collector's attribute names, merging with a summary an earlier
 * redaction processor left: counts add up, key lists are unioned.
 */
export function addSummary(
  attrs: Attributes,
  findings: Findings,
  level: RedactionConfig["summary"],
): void {
  if (level === "silent") return;
  const groups: [keys: string[], keysAttr: string, countAttr: string][] = [
    [findings.redacted, "redaction.redacted.keys", "redaction.redacted.count"],
    [findings.masked, "redaction.masked.keys", "redaction.masked.count"],
    [findings.bodyMasked, "redaction.body.masked.keys", "redaction.body.masked.count"],
  ];
  for (const [keys, keysAttr, countAttr] of groups) {
    if (keys.length === 0) continue;
    const before = attrs[countAttr];
    attrs[countAttr] = keys.length + (typeof before === "number" ? before : 0);
    if (level === "debug") union(attrs, keysAttr, keys);
  }
  if (findings.patterns.size > 0) union(attrs, "redaction.masked.patterns", findings.patterns);
}

function union(attrs: Attributes, name: string, values: Iterable<string>): void {
  const set = new Set(values);
  const before = attrs[name];
  if (typeof before === "string" && before !== "") for (const v of before.split(",")) set.add(v);
  attrs[name] = [...set].sort().join(",");
}
