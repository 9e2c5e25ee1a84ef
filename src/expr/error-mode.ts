import type { Logger } from "pino";
import { errorMessage, PermanentError, RetryableError } from "../component/errors.js";
import { OttlRuntimeError } from "./errors.js";
import type { ErrorMode } from "./schema.js";

export interface Guard {
  /** The component ID, prefixed to errors. */
  id: string;
  logger: Logger;
  mode: ErrorMode;
}

/**
 * Runs one OTTL evaluation under the Collector's `error_mode`. A runtime error in the expression
 * rejects the batch with `propagate` (PermanentError: the same data fails the same way again),
 * or yields `fallback`, logged with `ignore` and quietly with `silent`. Any other error is a
 * fault in Tripline rather than in the data, so it is retryable.
 *
 * `what` names the expression in messages (e.g. "condition `…`"); `fields` go on the log line.
 */
export function guarded<T>(
  guard: Guard,
  what: string,
  evaluate: () => T,
  fallback: T,
  fields: Record<string, unknown> = {},
): T {
  try {
    return evaluate();
  } catch (error) {
    if (!(error instanceof OttlRuntimeError)) {
      throw new RetryableError(`${guard.id}: ${errorMessage(error)}`, undefined, { cause: error });
    }
    if (guard.mode === "propagate") {
      throw new PermanentError(`${guard.id}: ${what} failed: ${error.message}`, { cause: error });
    }
    if (guard.mode === "ignore") {
      guard.logger.warn({ ...fields, err: error.message }, `${what} failed`);
    }
    return fallback;
  }
}
