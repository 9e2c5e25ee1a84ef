/**
 * The process-wide memory-pressure signal that receivers consult before they read a request
 * body. Every memory_limiter instance registers here while it runs; the process is under
 * pressure while any of them is at or above its soft limit. Refusing at the edge matters
 * because a body that is read and decoded has already cost the memory the limiter protects:
 * a refusal inside the pipeline comes too late for a flood of large requests.
 */

/** One limiter's view of memory, as the signal asks it. */
export interface PressureSource {
  /**
   * Whether memory is at or above this source's soft limit. The source may measure again
   * when its last reading is stale, so the answer reflects memory at admission time rather
   * than at the last timer tick.
   */
  aboveSoftLimit(): boolean;
  /** The soft limit in bytes, for the refusal's message. */
  readonly softLimitBytes: number;
  /** How long a refused sender should wait before retrying, in ms. */
  readonly retryAfterMs: number;
}

/** Why admission was refused: the tightest soft limit exceeded and the longest retry hint. */
export interface Pressure {
  softLimitBytes: number;
  retryAfterMs: number;
}

export class MemoryPressure {
  private readonly sources = new Set<PressureSource>();

  /** Adds a source; the returned function removes it (call it on shutdown). */
  register(source: PressureSource): () => void {
    this.sources.add(source);
    return () => {
      this.sources.delete(source);
    };
  }

  /** Whether any registered source is at or above its soft limit. */
  isAboveSoftLimit(): boolean {
    return this.current() !== undefined;
  }

  /**
   * The pressure now, or undefined when every source is below its soft limit (or none is
   * registered). Every source is asked, so each one's reading stays fresh.
   */
  current(): Pressure | undefined {
    let pressure: Pressure | undefined;
    for (const source of this.sources) {
      if (!source.aboveSoftLimit()) continue;
      pressure = {
        softLimitBytes: Math.min(pressure?.softLimitBytes ?? Infinity, source.softLimitBytes),
        retryAfterMs: Math.max(pressure?.retryAfterMs ?? 0, source.retryAfterMs),
      };
    }
    return pressure;
  }

  /** Forgets every source; for tests, which share one process between many gateways. */
  reset(): void {
    this.sources.clear();
  }
}

/** The one signal of this process. */
export const memoryPressure = new MemoryPressure();

const MIB = 1024 * 1024;

/** The refusal text every receiver uses, naming the limit so an operator knows which. */
export function pressureMessage(pressure: Pressure): string {
  return (
    `memory usage is above the soft limit of ${Math.round(pressure.softLimitBytes / MIB)} MiB ` +
    "(memory_limiter); request refused before reading it, retry later"
  );
}
