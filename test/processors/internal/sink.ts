import type { Consumer } from "../../../src/component/component.js";
import type { LogRecord } from "../../../src/pdata/logs.js";

/** Downstream of a keyed processor: accepts at once, or fails the next sends with the queued errors. */
export class Sink implements Consumer<unknown> {
  readonly batches: LogRecord[][] = [];
  readonly failures: Error[] = [];
  async consume(batch: unknown): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push(batch as LogRecord[]);
  }
  get records(): LogRecord[] {
    return this.batches.flat();
  }
}
