/**
 * OTTL patterns are Go RE2 regexes; JavaScript's syntax is close but not identical. The two
 * differences common in Collector configs are translated: leading inline flags such as
 * `(?i)`, and `(?P<name>…)` named groups. Other RE2-only syntax fails at compile time.
 */
export function compileRegex(pattern: string, global = false): RegExp {
  let body = pattern;
  let flags = global ? "g" : "";
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(body);
  if (inline) {
    for (const flag of inline[1]!) {
      if (flag === "i" || flag === "m" || flag === "s") {
        if (!flags.includes(flag)) flags += flag;
      } else {
        throw new Error(`unsupported inline flag "${flag}" (supported: i, m, s)`);
      }
    }
    body = body.slice(inline[0].length);
  }
  body = body.replaceAll("(?P<", "(?<");
  try {
    return new RegExp(body, flags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.replace(/^Invalid regular expression: /, ""));
  }
}

/**
 * Turns a Go replacement template (`$1`, `${1}`, `$name`, `${name}`, `$$`) into the
 * JavaScript one, escaping `$` sequences that mean something only to JavaScript (`$&`).
 */
export function goReplacement(template: string): string {
  return template.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))?/g,
    (_m, all, braced, bare) => {
      if (all === "$") return "$$";
      const name: string | undefined = braced ?? bare;
      if (name === undefined) return "$$";
      return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
    },
  );
}
