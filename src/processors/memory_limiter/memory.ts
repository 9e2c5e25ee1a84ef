import { readFileSync } from "node:fs";
import { totalmem } from "node:os";

/** Where the limiter reads memory from; tests substitute their own. */
export interface MemorySource {
  /** Bytes the process uses now (resident set size). */
  used(): number;
  /** Bytes available to the process: the container's limit, or the machine's memory. */
  available(): number;
  /** Forces a garbage collection when the runtime allows it (node --expose-gc). */
  collect?: () => void;
}

const CGROUP_FILES = [
  "/sys/fs/cgroup/memory.max", // cgroup v2
  "/sys/fs/cgroup/memory/memory.limit_in_bytes", // cgroup v1
];

/** The cgroup memory limit in bytes, or undefined when unlimited or not in a cgroup. */
export function cgroupLimit(files: readonly string[] = CGROUP_FILES): number | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch {
      continue;
    }
    if (text === "max") return undefined;
    const bytes = Number(text);
    // cgroup v1 reports "no limit" as a huge number near 2^63.
    if (Number.isFinite(bytes) && bytes > 0 && bytes < totalmem()) return bytes;
    return undefined;
  }
  return undefined;
}

export const processMemory: MemorySource = {
  used: () => process.memoryUsage.rss(),
  available: () => cgroupLimit() ?? totalmem(),
  collect: typeof globalThis.gc === "function" ? () => (globalThis.gc as () => void)() : undefined,
};
