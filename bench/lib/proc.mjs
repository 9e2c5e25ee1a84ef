// Child processes under measurement: spawn, wait until ready, read CPU time and peak RSS from
// /proc (Linux) for the process and its descendants, stop gracefully.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

let ticks;
function clockTicks() {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** The fields of /proc/<pid>/stat after the command name, or undefined once the process is gone. */
function statFields(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may contain spaces; fields are counted after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime of a process, in seconds (0 once it has exited). */
export function cpuSeconds(pid) {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / clockTicks() : 0;
}

/**
 * `pid` and every process below it (`tripline run --workers N` forks its workers from the
 * primary). /proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN, which not every
 * kernel has, so the parent of every process is read from /proc/<n>/stat instead.
 */
export function processTree(pid) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(name)?.[1]);
    if (!ppid) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * utime + stime summed over a process and its descendants, in seconds. A worker that exits
 * between two readings takes its time with it; the benchmark's workers live for the whole run.
 */
export function treeCpuSeconds(pid) {
  return processTree(pid).reduce((sum, p) => sum + cpuSeconds(p), 0);
}

/** Peak resident set size (VmHWM) and current RSS (VmRSS), in MiB. */
export function memoryMiB(pid) {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return { peak: 0, current: 0 };
  }
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { peak: kb("VmHWM") / 1024, current: kb("VmRSS") / 1024 };
}

/**
 * VmHWM and VmRSS summed over a process and its descendants, in MiB. Each process peaks at its
 * own moment, so the summed peak is an upper bound of the tree's real peak (exact for one
 * process); memory shared between the processes is counted in each.
 */
export function treeMemoryMiB(pid) {
  const tree = processTree(pid);
  const sum = { peak: 0, current: 0, processes: tree.length };
  for (const p of tree) {
    const m = memoryMiB(p);
    sum.peak += m.peak;
    sum.current += m.current;
  }
  return sum;
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class Child {
  constructor(name, args, env) {
    this.name = name;
    this.output = "";
    this.exit = undefined;
    this.proc = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk) => {
      // Enough of the output to explain a failure, without growing with a long run.
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.proc.stdout.on("data", keep);
    this.proc.stderr.on("data", keep);
    this.exited = new Promise((resolve) =>
      this.proc.on("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  get pid() {
    return this.proc.pid;
  }

  /** Polls `url` until it answers 200; throws with the child's output if it dies or times out. */
  async ready(url, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit)
        throw new Error(`${this.name} exited ${JSON.stringify(this.exit)}:\n${this.output}`);
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output}`);
  }

  async stop(timeoutMs = 15_000) {
    if (this.exit) return this.exit;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}
