import type { Counter } from "@opentelemetry/api";
import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import { countItems, ITEM_NAME } from "../../pdata/signal.js";
import type { MemoryLimiterConfig } from "./config.js";
import { type MemorySource, processMemory } from "./memory.js";

const MIB = 1024 * 1024;
const DEFAULT_SPIKE_SHARE = 0.2;

export interface Limits {
  hard: number;
  soft: number;
}

/** Hard and soft limits in bytes, as the Collector derives them. */
export function limitsFor(config: MemoryLimiterConfig, available: number): Limits {
  if (config.limit_mib > 0) {
    const hard = config.limit_mib * MIB;
    const spike =
      config.spike_limit_mib > 0 ? config.spike_limit_mib * MIB : hard * DEFAULT_SPIKE_SHARE;
    return { hard, soft: hard - spike };
  }
  const hard = (available * config.limit_percentage) / 100;
  const spike =
    config.spike_limit_percentage > 0
      ? (available * config.spike_limit_percentage) / 100
      : hard * DEFAULT_SPIKE_SHARE;
  return { hard, soft: hard - spike };
}

/**
 * Refuses data while the process uses more memory than the soft limit, with a retryable error
 * so receivers answer 429/503 and senders keep the data and retry, instead of the process
 * growing until it is killed. Above the hard limit it also forces a garbage collection when
 * Node runs with --expose-gc. Memory is measured every check_interval, not per batch: reading
 * it costs a system call.
 */
export class MemoryLimiterProcessor implements Processor<LogBatch | MetricBatch> {
  readonly mutatesData = false;
  readonly limits: Limits;
  private refusing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly refused: Counter;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: MemoryLimiterConfig,
    private readonly next: Consumer<unknown>,
    private readonly memory: MemorySource = processMemory,
  ) {
    this.limits = limitsFor(config, memory.available());
    this.refused = ctx.telemetry.meter.createCounter(
      `tripline_processor_refused_${ITEM_NAME[ctx.signal]}`,
      { description: "Items the memory limiter refused because memory was above the soft limit." },
    );
  }

  async start(_host: Host): Promise<void> {
    this.ctx.logger.info(
      {
        hard_limit_mib: Math.round(this.limits.hard / MIB),
        soft_limit_mib: Math.round(this.limits.soft / MIB),
        gc: this.memory.collect !== undefined,
      },
      "memory limiter started",
    );
    this.check();
    this.timer = setInterval(() => this.check(), this.config.check_interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
  }

  consume(batch: LogBatch | MetricBatch): Promise<void> {
    if (!this.refusing) return this.next.consume(batch);
    const items = countItems(this.ctx.signal, batch);
    this.refused.add(items, { processor: this.ctx.id, pipeline: this.ctx.pipeline });
    return Promise.reject(
      new RetryableError(
        `memory usage is above the soft limit of ${Math.round(this.limits.soft / MIB)} MiB; ` +
          "data refused, retry later",
        this.config.check_interval,
      ),
    );
  }

  /** Measures memory and decides whether data is refused until the next check. */
  check(): void {
    let used = this.memory.used();
    if (used >= this.limits.hard && this.memory.collect) {
      this.memory.collect();
      const after = this.memory.used();
      this.ctx.logger.warn(
        { used_mib: Math.round(used / MIB), after_gc_mib: Math.round(after / MIB) },
        "memory above the hard limit: forced garbage collection",
      );
      used = after;
    }
    const refusing = used >= this.limits.soft;
    if (refusing !== this.refusing) {
      const fields = {
        used_mib: Math.round(used / MIB),
        soft_limit_mib: Math.round(this.limits.soft / MIB),
      };
      if (refusing) this.ctx.logger.warn(fields, "memory above the soft limit: refusing data");
      else this.ctx.logger.info(fields, "memory below the soft limit: accepting data again");
      this.refusing = refusing;
    }
  }
}
