import type { Consumer, SignalConsumers } from "../component/component.js";
import { RetryableError } from "../component/errors.js";
import type { Signal } from "../pdata/signal.js";

/** How long a call waits for a reload to install the new graph before it is refused. */
const DEFAULT_PAUSE_LIMIT_MS = 5_000;
/** The Retry-After a refused call suggests: a reload is usually over within a second or two. */
const RETRY_AFTER_MS = 1_000;

/**
 * What a receiver is given as `next`: one stable consumer per signal that forwards to the pipeline
 * heads of the graph currently installed. A reload swaps the heads underneath a receiver whose
 * config did not change, so its listener never closes. While a reload is under way new calls wait
 * (up to a limit, then they are refused as retryable, so the sender keeps its data); calls already
 * under way finish against the graph they started on, and the reload waits for them before it
 * stops that graph. So every batch goes through exactly one graph.
 */
export class SwitchableConsumers {
  readonly consumers: SignalConsumers = {};
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(
    readonly signals: readonly Signal[],
    private targets: SignalConsumers,
    private readonly pauseLimitMs = DEFAULT_PAUSE_LIMIT_MS,
  ) {
    for (const signal of signals) {
      const consumer: Consumer<unknown> = { consume: (batch) => this.consume(signal, batch) };
      (this.consumers as Record<Signal, Consumer<unknown>>)[signal] = consumer;
    }
  }

  private async consume(signal: Signal, batch: unknown): Promise<void> {
    // No await before the count goes up unless paused: a call either counts against the
    // current graph or waits for the next one, never neither.
    if (this.gate) await this.waitForGate(this.gate);
    const target = (this.targets as Record<Signal, Consumer<unknown> | undefined>)[signal];
    if (!target) throw new RetryableError(`no pipeline takes ${signal} from this receiver`);
    this.inflight++;
    try {
      await target.consume(batch);
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async waitForGate(gate: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      gate.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.pauseLimitMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      throw new RetryableError("the pipeline is being reloaded; retry shortly", RETRY_AFTER_MS);
    }
    // A second reload may have started meanwhile.
    if (this.gate && this.gate !== gate) await this.waitForGate(this.gate);
  }

  /** New calls wait from now on; calls under way continue. */
  pause(): void {
    if (this.gate) return;
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  /** Resolves once no call is under way. Meaningful while paused (or after the receiver stopped). */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Installs the heads of a new graph and lets waiting calls through to it. */
  resume(targets: SignalConsumers): void {
    this.targets = targets;
    const open = this.openGate;
    this.gate = undefined;
    this.openGate = undefined;
    open?.();
  }
}
