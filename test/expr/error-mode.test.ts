import pino from "pino";
import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../src/component/errors.js";
import { compileCondition, guarded } from "../../src/expr/index.js";
import type { ErrorMode } from "../../src/expr/schema.js";
import { logRecord } from "../helpers/records.js";

const failing = compileCondition('ToLowerCase(attributes["n"]) == "x"');
const record = logRecord({ attributes: { n: 1 } });

function run(mode: ErrorMode) {
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
  const result = () =>
    guarded({ id: "filter/x", logger, mode }, "condition `c`", () => failing(record), false, {
      condition: "c",
    });
  return { result, lines };
}

describe("guarded (error_mode)", () => {
  it("propagate: a runtime error rejects the batch permanently, naming the expression", () => {
    const { result } = run("propagate");
    expect(result).toThrow(PermanentError);
    expect(result).toThrow(/^filter\/x: condition `c` failed: ToLowerCase expects a string/);
  });

  it("ignore: returns the fallback and logs once per failure", () => {
    const { result, lines } = run("ignore");
    expect(result()).toBe(false);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ condition: "c", msg: "condition `c` failed" });
  });

  it("silent: returns the fallback without logging", () => {
    const { result, lines } = run("silent");
    expect(result()).toBe(false);
    expect(lines).toEqual([]);
  });

  it("an error that is not an OTTL runtime error is a fault, so retryable", () => {
    const logger = pino({ level: "silent" });
    const boom = () =>
      guarded(
        { id: "x", logger, mode: "ignore" },
        "e",
        () => {
          throw new TypeError("bug");
        },
        0,
      );
    expect(boom).toThrow(RetryableError);
  });
});
