import type { Consumer, SignalConsumers } from "../../component/component.js";
import type { PartialSuccess } from "../../pdata/otlp-proto.js";
import type { Rejections } from "../../pdata/rejections.js";
import { type BatchOf, countItems, type Signal } from "../../pdata/signal.js";
import type { ReceiverTelemetry } from "../../telemetry/telemetry.js";

/**
 * What both transports do with a decoded request: hand it downstream, count it, and say what
 * to report back. One per transport, so telemetry carries `transport="http"` or `"grpc"`.
 */
export class Ingest {
  constructor(
    private readonly next: SignalConsumers,
    private readonly telemetry: ReceiverTelemetry,
  ) {}

  /** Only signals wired into a pipeline have a consumer; the others are not served. */
  wired(signal: Signal): boolean {
    return this.next[signal] !== undefined;
  }

  /**
   * Resolves once downstream accepted the batch, with the partial success to report for points
   * the decoder had to leave out; rejects with downstream's typed error.
   */
  async deliver<S extends Signal>(
    signal: S,
    batch: BatchOf[S],
    rejections: Rejections,
  ): Promise<PartialSuccess | undefined> {
    if (rejections.count > 0) this.telemetry.refused(signal, rejections.count);
    const count = countItems(signal, batch);
    if (count > 0) {
      const consumer = this.next[signal] as Consumer<BatchOf[S]>;
      try {
        await consumer.consume(batch);
      } catch (error) {
        this.telemetry.refused(signal, count);
        throw error;
      }
      this.telemetry.accepted(signal, count);
    }
    return rejections.count > 0
      ? { rejected: rejections.count, errorMessage: rejections.message }
      : undefined;
  }
}
