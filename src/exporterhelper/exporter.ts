import path from "node:path";
import type {
  Consumer,
  CreateContext,
  Exporter,
  Host,
  SignalConsumers,
} from "../component/component.js";
import { errorMessage, RetryableError } from "../component/errors.js";
import { countItems, type Signal } from "../pdata/signal.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { decodeBatch, encodeBatch } from "./codec.js";
import type { ExporterHelperConfig } from "./config.js";
import { DeadLetterFile, type DeadLetterReason } from "./dead-letter.js";
import { PersistentStore } from "./persistent-store.js";
import { type Batch, type QueueEntry, SendingQueue } from "./queue.js";
import {
  type Attempt,
  type DeliveryOptions,
  deliver,
  type Interrupts,
  type Outcome,
} from "./retry.js";
import type { Sender } from "./sender.js";
import { HelperTelemetry } from "./telemetry.js";

export interface NetworkExporterOptions {
  ctx: CreateContext;
  config: ExporterHelperConfig;
  signals: readonly Signal[];
  /** One sender per signal the exporter supports. */
  senders: { [S in Signal]?: Sender<never> };
  start?: () => Promise<void>;
  shutdown?: () => Promise<void>;
  /** Jitter source for retry waits (default Math.random); tests pin it. */
  random?: () => number;
  /** Size at which the persistent queue starts a new segment file (default 8 MiB). */
  segmentBytes?: number;
}

/**
 * How long a memory queue keeps draining at shutdown when the caller gives no deadline: a
 * little under the service's default shutdown_timeout (30s), so the count of what could not
 * be delivered is logged before the service gives up waiting.
 */
const DEFAULT_DRAIN_MS = 25_000;

type State = "created" | "running" | "stopping" | "stopped";

/**
 * An exporter with the delivery machinery around its senders: a bounded queue (memory or disk)
 * feeding `num_consumers` consumers, each sending with a timeout, retries with backoff, a
 * circuit breaker, and a dead letter for what cannot be delivered. Every exporter has its own
 * queue and consumers, so one dead backend never slows another exporter.
 */
export class NetworkExporter implements Exporter {
  /** Sent and failed are counted here, once the backend answered, not when queued. */
  readonly countsOwnTelemetry = true;
  readonly consumers: SignalConsumers = {};
  private readonly ctx: CreateContext;
  private readonly config: ExporterHelperConfig;
  private readonly breaker: CircuitBreaker;
  private readonly telemetry: HelperTelemetry;
  private readonly queue: SendingQueue | undefined;
  private readonly deadLetter: DeadLetterFile | undefined;
  private readonly delivery: Map<Signal, DeliveryOptions> = new Map();
  private readonly senders: Map<Signal, Sender<unknown>> = new Map();
  /**
   * Signals whose batches are queued as their sender's request (see Sender.prepare): only in a
   * memory queue without a dead letter. The dead letter writes the records themselves, and the
   * persistent queue stores batches in its own format.
   */
  private readonly prepared: Set<Signal> = new Set();
  private store: PersistentStore | undefined;
  private readonly halt = new AbortController();
  private readonly cancel = new AbortController();
  private readonly interrupts: Interrupts;
  private workers: Promise<void>[] = [];
  /** Deliveries and dead-letter writes not tied to a consumer. */
  private readonly background = new Set<Promise<unknown>>();
  /** Entries a shutdown interrupted (memory queue). */
  private readonly unsent: QueueEntry[] = [];
  private state: State = "created";

  constructor(private readonly options: NetworkExporterOptions) {
    const { ctx, config } = options;
    this.ctx = ctx;
    this.config = config;
    this.interrupts = { halt: this.halt.signal, cancel: this.cancel.signal };
    this.breaker = new CircuitBreaker(config.circuit_breaker, ctx.logger);
    if (config.dead_letter) {
      this.deadLetter = new DeadLetterFile(
        path.resolve(ctx.configDir, config.dead_letter.path),
        ctx.id,
      );
    }
    const queueConfig = config.sending_queue;
    if (queueConfig.enabled) {
      const persistent = queueConfig.storage !== undefined;
      this.queue = new SendingQueue(ctx.id, queueConfig, {
        measure: persistent ? (entry) => this.measure(entry) : undefined,
        persist: persistent ? (entry) => this.persist(entry) : undefined,
        dropped: (entry) => this.track(this.abandon(entry, "queue_full", "queue full")),
        retryAfterMs: () => this.breaker.remainingMs() || undefined,
      });
    }
    this.telemetry = new HelperTelemetry(ctx, this.queue);

    for (const signal of options.signals) {
      const sender = options.senders[signal] as Sender<unknown> | undefined;
      if (!sender) continue;
      this.senders.set(signal, sender);
      if (
        this.queue &&
        queueConfig.storage === undefined &&
        !this.deadLetter &&
        sender.prepare &&
        sender.sendPrepared
      ) {
        this.prepared.add(signal);
      }
      this.delivery.set(signal, {
        timeoutMs: config.timeout,
        retry: config.retry_on_failure,
        breaker: this.breaker,
        random: options.random,
        onRetry: (s, error, delayMs) => {
          this.telemetry.retried();
          ctx.logger.debug(
            { signal: s, err: errorMessage(error), retry_in_ms: delayMs },
            "request failed; will retry",
          );
        },
      });
      const consumer: Consumer<unknown> = {
        consume: (batch) => this.consume(signal, batch as Batch),
      };
      (this.consumers as Record<Signal, Consumer<unknown>>)[signal] = consumer;
    }
  }

  async start(_host: Host): Promise<void> {
    await this.options.start?.();
    const storage = this.config.sending_queue.storage;
    if (this.queue && storage !== undefined) {
      // Under `--workers`, each worker process owns its queue: `<storage>/<id>/worker-<n>`.
      const worker = process.env.TRIPLINE_WORKER_ID;
      const dir = path.resolve(
        this.ctx.configDir,
        storage,
        encodeURIComponent(this.ctx.id),
        worker ? `worker-${worker}` : "",
      );
      this.store = new PersistentStore({
        dir,
        fsync: this.config.sending_queue.fsync,
        fsyncIntervalMs: this.config.sending_queue.fsync_interval,
        logger: this.ctx.logger,
        segmentBytes: this.options.segmentBytes,
      });
      this.queue.restore(this.recover(await this.store.open()));
    }
    if (this.queue) {
      for (let i = 0; i < this.config.sending_queue.num_consumers; i++) {
        this.workers.push(this.work(this.queue));
      }
    }
    this.state = "running";
  }

  /**
   * Stops taking data, then drains. A persistent queue stops sending at once (what is left
   * stays on disk for the next start); a memory queue keeps sending until `deadline` aborts,
   * then hands what is left to the dead letter (or logs it) and counts it.
   */
  async shutdown(deadline?: AbortSignal): Promise<void> {
    if (this.state !== "running") {
      this.state = "stopped";
      return;
    }
    this.state = "stopping";
    const stopAll = () => {
      this.halt.abort();
      this.cancel.abort();
    };
    let timer: NodeJS.Timeout | undefined;
    if (this.store || !this.queue) {
      this.queue?.stopTaking();
      // Waiting (backoff, open circuit) ends now; requests in flight finish within `timeout`.
      this.halt.abort();
    } else {
      this.queue.close();
      if (!deadline) timer = setTimeout(stopAll, DEFAULT_DRAIN_MS);
      else if (deadline.aborted) stopAll();
      else deadline.addEventListener("abort", stopAll, { once: true });
    }
    await Promise.all(this.workers);
    await Promise.allSettled(this.background);
    clearTimeout(timer);
    deadline?.removeEventListener("abort", stopAll);

    if (this.unsent.length > 0) {
      const items = this.unsent.reduce((n, e) => n + e.items, 0);
      this.ctx.logger.error(
        { batches: this.unsent.length, items },
        "shutdown deadline reached before the sending queue drained",
      );
      for (const entry of this.unsent.splice(0)) {
        await this.abandon(entry, "shutdown", "undelivered at shutdown");
      }
    }
    await this.store?.close();
    await this.deadLetter?.close();
    this.telemetry.close();
    this.state = "stopped";
    await this.options.shutdown?.();
  }

  private consume(signal: Signal, batch: Batch): Promise<void> {
    if (this.state !== "running") {
      return Promise.reject(new RetryableError(`exporter "${this.ctx.id}" is not running`));
    }
    if (!this.queue) return this.track(this.sendNow(signal, batch));
    const entry = this.queue.entry(signal, batch);
    if (entry.items === 0) return Promise.resolve();
    if (this.prepared.has(signal)) this.prepare(entry);
    return this.queue.offer(entry).catch((error: unknown) => {
      this.recycle(entry);
      this.telemetry.enqueueFailed(signal, entry.items);
      throw error;
    });
  }

  /** Without a queue the caller waits for the backend, and failures go back to it. */
  private async sendNow(signal: Signal, batch: Batch): Promise<void> {
    const items = countItems(signal, batch);
    const sender = this.senders.get(signal)!;
    const outcome = await deliver(
      this.delivery.get(signal)!,
      signal,
      (abort) => sender.send(batch, signal, abort),
      this.interrupts,
    );
    if (outcome.kind === "sent") {
      this.telemetry.sent(signal, items);
      return;
    }
    if (outcome.kind === "stopped") {
      throw new RetryableError(`exporter "${this.ctx.id}" is shutting down`);
    }
    this.telemetry.sendFailed(signal, items);
    throw outcome.error;
  }

  private async work(queue: SendingQueue): Promise<void> {
    for (;;) {
      const entry = await queue.take();
      if (!entry) return;
      let outcome: Outcome;
      try {
        outcome = await deliver(
          this.delivery.get(entry.signal)!,
          entry.signal,
          this.attempt(entry),
          this.interrupts,
        );
      } catch (error) {
        outcome = { kind: "failed", reason: "permanent", error: error as Error };
      }
      if (outcome.kind === "sent") {
        this.telemetry.sent(entry.signal, entry.items);
        this.ack(entry);
      } else if (outcome.kind === "failed") {
        this.telemetry.sendFailed(entry.signal, entry.items);
        await this.abandon(entry, outcome.reason, errorMessage(outcome.error));
      } else if (!this.store) {
        this.unsent.push(entry);
      }
      // A stopped entry of the persistent queue stays on disk, unacknowledged.
      queue.release(entry);
    }
  }

  /**
   * Replaces the entry's records with its sender's request. An error here is the sender's to
   * report when it sends, as it would without preparing: the entry keeps its records.
   */
  private prepare(entry: QueueEntry): void {
    try {
      entry.request = this.senders.get(entry.signal)!.prepare!(entry.batch, entry.signal);
      entry.batch = undefined;
    } catch {}
  }

  private attempt(entry: QueueEntry): Attempt {
    const { signal, batch, request } = entry;
    const sender = this.senders.get(signal)!;
    if (batch !== undefined) return (abort) => sender.send(batch, signal, abort);
    return (abort) => sender.sendPrepared!(request, signal, abort);
  }

  /** Gives a batch up: into the dead letter when configured, else an error log; counted. */
  private async abandon(entry: QueueEntry, reason: DeadLetterReason, error: string) {
    const { signal, items } = entry;
    if (this.deadLetter) {
      try {
        // With a dead letter, entries keep their records (see `prepared`).
        await this.deadLetter.write(signal, entry.batch!, reason, error);
        this.telemetry.deadLettered(signal, items, reason);
        this.ack(entry);
        return;
      } catch (writeError) {
        this.ctx.logger.error(
          { err: errorMessage(writeError) },
          "could not write to the dead letter file",
        );
      }
    }
    this.telemetry.dropped(signal, items, reason);
    this.ctx.logger.error(
      { signal, items, reason, err: error },
      this.deadLetter ? "batch dropped" : "batch dropped (no dead_letter configured)",
    );
    this.ack(entry);
  }

  /** The entry is done with: sent, or given up and accounted for. */
  private ack(entry: QueueEntry): void {
    if (entry.seq !== undefined) this.store?.ack(entry.seq);
    this.recycle(entry);
  }

  private recycle(entry: QueueEntry): void {
    if (entry.request === undefined) return;
    const { request } = entry;
    entry.request = undefined;
    this.senders.get(entry.signal)!.recycle?.(request);
  }

  // The persistent queue's entries keep their records (see `prepared`).
  private measure(entry: QueueEntry): number {
    entry.payload = encodeBatch(entry.signal, entry.batch!);
    return entry.payload.length;
  }

  private async persist(entry: QueueEntry): Promise<void> {
    const payload = entry.payload ?? encodeBatch(entry.signal, entry.batch!);
    entry.payload = undefined;
    entry.seq = await this.store!.append(payload);
  }

  /** Decodes what the last run left; a record that no longer decodes is dropped and counted. */
  private recover(records: { seq: number; payload: Buffer }[]): QueueEntry[] {
    const entries: QueueEntry[] = [];
    for (const record of records) {
      try {
        const { signal, batch } = decodeBatch(record.payload);
        const entry = this.queue!.entry(signal, batch);
        if (!this.delivery.has(signal)) throw new Error(`exporter no longer sends ${signal}`);
        entries.push({ ...entry, seq: record.seq, bytes: record.payload.length });
      } catch (error) {
        this.store!.ack(record.seq);
        this.ctx.logger.error(
          { seq: record.seq, err: errorMessage(error) },
          "persistent queue: dropped a stored batch that could not be read back",
        );
      }
    }
    if (entries.length > 0) {
      this.ctx.logger.info(
        { batches: entries.length },
        "persistent queue: resending batches left by the previous run",
      );
    }
    return entries;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.background.add(promise);
    void promise.then(
      () => this.background.delete(promise),
      () => this.background.delete(promise),
    );
    return promise;
  }
}

/**
 * Wraps an exporter's senders with the delivery machinery, so exporters only speak their wire
 * protocol.
 */
export function createNetworkExporter(options: NetworkExporterOptions): NetworkExporter {
  return new NetworkExporter(options);
}
