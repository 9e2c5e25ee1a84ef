// The redactor skips a rule when a value lacks the literal (or digits, or shape) every match of
// that rule needs. Skipping must never change the result: this compares it with every rule
// applied in turn to every value, on strings built from secrets, look-alikes and noise.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactionConfigSchema } from "../../../src/processors/redaction/config.js";
import { BUILTINS, builtinRules } from "../../../src/processors/redaction/patterns.js";
import { Redactor } from "../../../src/processors/redaction/redactor.js";

const FRAGMENTS = [
  "sk-proj-AbCdEfGh1234567890XyZ",
  "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
  "sk-learn-is-a-library",
  "AKIAIOSFODNN7EXAMPLE",
  "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
  "github_pat_11ABCDEFG0123456789_abcdefghij",
  "xoxb-1234567890-abcdef",
  "AIzaSyA-0123456789abcdefghijklmnopqrstu",
  "sk_live_0123456789abcdefXYZ",
  "Bearer abcdefghijklmnop0123",
  "bearer of bad news",
  "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----",
  "eyJhbGciOi.eyJzdWIiOi.sig_nature",
  "alice@example.com",
  "a@b",
  "4111 1111 1111 1111",
  "5500-0000-0000-0004",
  "123e4567-e89b-12d3-a456-426614174000",
  "GB82 WEST 1234 5698 7654 32",
  "DE89370400440532013000",
  "10.0.0.1",
  "2001:db8::1",
  "12:30:45",
  "@",
  "-",
  ".",
  " ",
  "x",
  "7",
];

function reference(text: string, mask: string): string {
  let out = text;
  for (const rule of builtinRules(BUILTINS)) {
    out = out.replace(rule.regex, (match) => {
      const length = rule.check ? rule.check(match) : match.length;
      return length === 0 ? match : mask + match.slice(length);
    });
  }
  return out;
}

describe("redaction prefilter", () => {
  it("masks exactly what applying every rule to every value masks", () => {
    const text = fc
      .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })), {
        maxLength: 8,
      })
      .map((parts) => parts.join(""));
    const mask = fc.constantFrom("****", "[x@y sk-]", "");
    fc.assert(
      fc.property(text, mask, (value, maskText) => {
        const redactor = new Redactor(
          redactionConfigSchema.parse({ builtin: [...BUILTINS], mask: maskText }),
        );
        expect(redactor.redactString(value, new Set())).toBe(reference(value, maskText));
      }),
      { numRuns: 2000, seed: 20261123 },
    );
  });
});
