import { isIPv4, isIPv6 } from "node:net";

export const BUILTINS = [
  "api_keys",
  "jwt",
  "email",
  "credit_card",
  "iban",
  "ipv4",
  "ipv6",
] as const;
export type BuiltinName = (typeof BUILTINS)[number];

/** IP addresses are often wanted in security data (who attacked), so they are opt-in. */
export const DEFAULT_BUILTINS: BuiltinName[] = ["api_keys", "jwt", "email", "credit_card", "iban"];

/**
 * A rule finds candidates with a regex; `check`, where present, confirms a candidate (a
 * checksum, a parser) so look-alikes stay readable. It returns the span to mask, which may be
 * a prefix of the candidate when the regex was greedy (IBAN groups run into the next word).
 */
export interface Rule {
  name: string;
  regex: RegExp;
  check?: (candidate: string) => number;
  /**
   * Text every match contains (one of these literals): most values hold no secret, and one
   * search for all rules' literals at once rules them out far faster than a scan per regex.
   */
  literals?: readonly string[];
  /** Otherwise a cheap test every match passes. Neither may say no where the regex could match. */
  mayMatch?: (text: string) => boolean;
}

/** True when the text has at least `n` ASCII digits (a card number has 13 or more). */
function digitsAtLeast(n: number): (text: string) => boolean {
  return (text) => {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 48 && code <= 57 && ++count >= n) return true;
    }
    return false;
  };
}

// Key formats as the providers publish them; each has a fixed prefix, which keeps false
// positives rare. The OpenAI form also needs a digit so prose like "sk-learn-…" survives.
const API_KEYS: [RegExp, string[]][] = [
  [/\bsk-ant-(?:api\d\d-|admin\d\d-)?[A-Za-z0-9_-]{20,}/g, ["sk-ant-"]],
  [/\bsk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}/g, ["sk-"]],
  [/\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, ["AKIA", "ASIA", "ABIA", "ACCA"]],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b/g, ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]],
  [/\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g, ["github_pat_"]],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, ["xox"]],
  [/\bAIza[0-9A-Za-z_-]{35}/g, ["AIza"]],
  [/\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}/g, ["k_live_", "k_test_"]],
  // Only the credential after "Bearer"; at least 16 characters so "bearer of bad news" stays.
  [/(?<=\b[Bb]earer\s+)[A-Za-z0-9\-._~+/]{16,}=*/g, ["earer"]],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, ["-----BEGIN "]],
];

const RULES: Record<BuiltinName, Rule[]> = {
  api_keys: API_KEYS.map(([regex, literals]) => ({ name: "api_keys", regex, literals })),
  jwt: [
    {
      name: "jwt",
      regex: /\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
      literals: ["eyJ"],
    },
  ],
  email: [
    {
      name: "email",
      regex:
        /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
      literals: ["@"],
    },
  ],
  credit_card: [
    {
      name: "credit_card",
      // Not inside a longer token: hex ids such as UUIDs hold Luhn-valid digit runs.
      regex: /(?<![\w-])[2-6](?:[ -]?\d){12,18}(?!-?\w)/g,
      check: (s) => (luhn(s.replace(/[ -]/g, "")) ? s.length : 0),
      mayMatch: digitsAtLeast(13),
    },
  ],
  iban: [
    {
      name: "iban",
      regex: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g,
      check: ibanPrefix,
      mayMatch: (text) => IBAN_START.test(text),
    },
  ],
  ipv4: [
    {
      name: "ipv4",
      regex: /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)/g,
      check: (s) => (isIPv4(s) ? s.length : 0),
      mayMatch: (text) => DIGIT_DOT.test(text),
    },
  ],
  ipv6: [
    {
      name: "ipv6",
      // Candidates only; node:net decides, so times ("12:30:45") and "std::x" are left alone.
      regex:
        /(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![0-9A-Za-z:])/g,
      check: (s) => (/[0-9A-Fa-f]/.test(s) && isIPv6(s) ? s.length : 0),
      literals: [":"],
    },
  ],
};

/** Non-global, so test() keeps no lastIndex between calls. */
const IBAN_START = /[A-Z]{2}\d{2}/;
const DIGIT_DOT = /\d\./;

export function builtinRules(names: readonly BuiltinName[]): Rule[] {
  return BUILTINS.filter((name) => names.includes(name)).flatMap((name) => RULES[name]);
}

/** The Luhn checksum every payment card number carries. */
export function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, read letters as 10–35, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/**
 * The longest valid IBAN at the start of a candidate. Printed IBANs come in groups of four
 * separated by spaces, and the regex cannot tell where the number ends and an upper-case word
 * begins, so shorter group counts are tried too.
 */
function ibanPrefix(candidate: string): number {
  const groups = candidate.split(" ");
  for (let n = groups.length; n > 0; n--) {
    const text = groups.slice(0, n).join(" ");
    if (ibanValid(text.replaceAll(" ", ""))) return text.length;
  }
  return 0;
}
