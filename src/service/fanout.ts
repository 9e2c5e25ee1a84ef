import type { Consumer } from "../component/component.js";
import { combineErrors } from "../component/errors.js";
import { cloneLogRecord, type LogBatch } from "../pdata/logs.js";
import type { MetricBatch } from "../pdata/metrics.js";
import type { Signal } from "../pdata/signal.js";

export interface Downstream {
  consumer: Consumer<unknown>;
  /** Whether something along this branch changes batches in place. */
  mutatesData: boolean;
}

function copyBatch(signal: Signal, batch: unknown): unknown {
  if (signal === "logs") return (batch as LogBatch).map(cloneLogRecord);
  return structuredClone(batch as MetricBatch);
}

/**
 * Hands one batch to several branches at once. Resolves when every branch accepted it; a
 * branch that changes data in place gets its own copy so the others see the original.
 * Branches run concurrently so a slow backend does not delay the others' acknowledgement.
 */
export function fanout(signal: Signal, branches: Downstream[]): Downstream {
  if (branches.length === 1) return branches[0]!;
  // Readers may hold the batch after accepting it (queues), so a mutator gets the original
  // only when every branch mutates, and then only the last one.
  const lastMutator = branches.findLast((b) => b.mutatesData);
  const allMutate = branches.every((b) => b.mutatesData);
  const needsCopy = (b: Downstream) => b.mutatesData && !(allMutate && b === lastMutator);
  return {
    mutatesData: allMutate,
    consumer: {
      async consume(batch) {
        const results = await Promise.allSettled(
          branches.map((b) => b.consumer.consume(needsCopy(b) ? copyBatch(signal, batch) : batch)),
        );
        const errors = results
          .filter((r) => r.status === "rejected")
          .map((r) => r.reason as unknown);
        if (errors.length > 0) throw combineErrors(errors);
      },
    },
  };
}
