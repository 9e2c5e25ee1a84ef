/**
 * Dedup windows: the first record of a key opens a window and is posted; records with the same
 * key inside the window only raise its count. When the window ends, one update carries the
 * count, so a storm of identical detections is one annotation instead of hundreds.
 */
export interface Window {
  key: string;
  openedAt: number;
  /** Event times (ms) of the first and the latest record. */
  firstTime: number;
  lastTime: number;
  count: number;
  text: string;
  /** The annotation's id once Grafana answered the create. */
  id?: number;
}

export class Deduper {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts the record into an open window (true), or reports that none is open (false). */
  absorb(key: string, timeMs: number): boolean {
    const window = this.windows.get(key);
    if (!window || this.now() - window.openedAt >= this.windowMs) return false;
    window.count++;
    window.lastTime = Math.max(window.lastTime, timeMs);
    window.firstTime = Math.min(window.firstTime, timeMs);
    return true;
  }

  open(key: string, timeMs: number, text: string): void {
    this.windows.set(key, {
      key,
      openedAt: this.now(),
      firstTime: timeMs,
      lastTime: timeMs,
      count: 1,
      text,
    });
  }

  setId(key: string, id: number): void {
    const window = this.windows.get(key);
    if (window) window.id = id;
  }

  /** Removes and returns windows that have ended (all of them with `all`). */
  close(all = false): Window[] {
    const ended: Window[] = [];
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (all || now - window.openedAt >= this.windowMs) {
        this.windows.delete(key);
        ended.push(window);
      }
    }
    return ended;
  }
}
