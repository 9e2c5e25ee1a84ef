/**
 * The two ways a stage can refuse a batch. A receiver turns them into protocol answers:
 * retryable → 429/503 with Retry-After (the sender keeps the data), permanent → 400 (the data
 * itself is bad and resending it will not help).
 */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  readonly retryable = true;
  constructor(
    message: string,
    /** A hint from downstream (Retry-After, throttling) in milliseconds. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class PermanentError extends Error {
  override readonly name = "PermanentError";
  readonly permanent = true;
}

export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}

/** Anything that is not explicitly permanent may succeed later. */
export function isRetryable(error: unknown): boolean {
  return !isPermanent(error);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Merges the outcomes of a fan-out: permanent only if every failure is permanent, otherwise
 * retryable (the sender resends, and at-least-once delivery tolerates the duplicate).
 */
export function combineErrors(errors: unknown[]): Error {
  if (errors.length === 1 && errors[0] instanceof Error) return errors[0];
  const message = errors.map(errorMessage).join("; ");
  if (errors.every(isPermanent)) return new PermanentError(message);
  const hints = errors
    .map((e) => (e instanceof RetryableError ? e.retryAfterMs : undefined))
    .filter((ms): ms is number => ms !== undefined);
  return new RetryableError(message, hints.length ? Math.max(...hints) : undefined);
}
