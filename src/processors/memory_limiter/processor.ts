import type { Counter } from "@opentelemetry/api";
import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import { memoryPressure, type PressureSource } from "../../component/memory-pressure.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import { countItems, ITEM_NAME } from "../../pdata/signal.js";
import type { MemoryLimiterConfig } from "./config.js";
import { type MemorySource, processMemory } from "./memory.js";

const MIB = 1024 * 1024;
const DEFAULT_SPIKE_SHARE = 0.2;
/**
 * A reading older than this is taken again when data arrives. Reading RSS costs about a
 * microsecond, so a flood arriving between two timer checks is still measured, and a loaded
 * machine that delays the timer does not leave the limiter blind.
 */
export const FRESH_MS = 5;

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
 * Node runs with --expose-gc. Memory is measured every check_interval and again when data
 * or a receiver asks for admission after the last reading went stale (FRESH_MS). It also
 * feeds the process-wide memoryPressure signal, which receivers consult before reading a body.
 */
export class MemoryLimiterProcessor implements Processor<LogBatch | MetricBatch>, PressureSource {
  readonly mutatesData = false;
  readonly limits: Limits;
  private refusing = false;
  private measuredAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private unregister: (() => void) | undefined;
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
    // Receivers ask the process-wide signal before reading a body (admission control).
    this.unregister = memoryPressure.register(this);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.unregister?.();
    this.unregister = undefined;
  }

  get softLimitBytes(): number {
    return this.limits.soft;
  }

  get retryAfterMs(): number {
    return this.config.check_interval;
  }

  /** At or above the soft limit, measuring again when the last reading is stale. */
  aboveSoftLimit(): boolean {
    if (Date.now() - this.measuredAt > FRESH_MS) this.check(false);
    return this.refusing;
  }

  consume(batch: LogBatch | MetricBatch): Promise<void> {
    if (!this.aboveSoftLimit()) return this.next.consume(batch);
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

  /**
   * Measures memory and decides whether data is refused until the next check. Only the timer's
   * checks force a garbage collection: one per request during a flood would stall the process.
   */
  check(collect = true): void {
    let used = this.memory.used();
    this.measuredAt = Date.now();
    if (collect && used >= this.limits.hard && this.memory.collect) {
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
