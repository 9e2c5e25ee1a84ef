import { afterEach, beforeEach } from "vitest";
import type { z } from "zod";
import { DatadogContractServer } from "./contract-server.js";

/**
 * A fresh Datadog contract server for each test of the calling file, and the cleanups of what
 * each test started (run before the server stops). A test may replace `server` (e.g. one that
 * expects another API key); the replacement is the one stopped.
 */
export function intakePerTest() {
  const intake = {
    server: undefined as unknown as DatadogContractServer,
    cleanups: [] as (() => Promise<unknown>)[],
  };
  beforeEach(async () => {
    intake.server = await new DatadogContractServer().start();
  });
  afterEach(async () => {
    for (const cleanup of intake.cleanups.splice(0)) await cleanup();
    await intake.server.stop();
  });
  return intake;
}

/**
 * A Datadog exporter's config aimed at the contract server, with the delivery layer's queue,
 * retries and circuit breaker off, so a send resolves once Datadog answered and a refusal
 * reaches the caller at once.
 */
export function intakeConfig<S extends z.ZodType>(
  schema: S,
  server: DatadogContractServer,
  overrides: Record<string, unknown>,
): z.output<S> {
  return schema.parse({
    api_key: server.apiKey,
    endpoint: server.url,
    sending_queue: { enabled: false },
    retry_on_failure: { enabled: false },
    circuit_breaker: { enabled: false },
    ...overrides,
  });
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}
