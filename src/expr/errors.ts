/**
 * A condition or statement that cannot be compiled: bad syntax, an unknown path or function,
 * a wrong argument, an invalid regex. Raised at config time, never while data flows.
 */
export class OttlParseError extends Error {
  override readonly name = "OttlParseError";

  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    /** 1-based column in `source` where the problem starts. */
    readonly column: number,
    readonly source: string,
  ) {
    super(`${reason} at column ${column}\n${source}\n${" ".repeat(column - 1)}^`);
  }

  /** The first line of the message, for one-line diagnostics such as `tripline validate`. */
  get summary(): string {
    return `${this.reason} at column ${this.column}`;
  }
}

/** A compiled expression that failed on one record, e.g. `ToLowerCase` given a number. */
export class OttlRuntimeError extends Error {
  override readonly name = "OttlRuntimeError";
}
