#!/usr/bin/env node
// `npm run bench`: runs both baselines and every scenario against a loopback sink, one process
// at a time, and writes bench/results/latest.{json,md}. See bench/README.md.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { detections } from "./lib/generate.mjs";
import { ClientProcess } from "./lib/load.mjs";
import { Child, cpuSeconds, freePort, treeCpuSeconds, treeMemoryMiB } from "./lib/proc.mjs";
import { checkTargets, workerScaling, write } from "./lib/report.mjs";
import { Sink } from "./lib/sink.mjs";
import { quantile, ratio } from "./lib/stats.mjs";
import { BASELINES, SCENARIOS } from "./scenarios.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    events: { type: "string" },
    concurrency: { type: "string" },
    batch: { type: "string" },
    "latency-seconds": { type: "string" },
    "stall-seconds": { type: "string" },
    out: { type: "string" },
    seed: { type: "string", default: "42" },
    // Writes a V8 CPU profile of each gateway to <out>/profiles (see bench/profile-top.mjs).
    "cpu-prof": { type: "boolean", default: false },
  },
});

const quick = args.quick;
const settings = {
  quick,
  events: Number(args.events ?? (quick ? 1000 : 120_000)),
  warmup: quick ? 100 : 5000,
  latencyPool: quick ? 300 : 40_000,
  latencySeconds: Number(args["latency-seconds"] ?? (quick ? 0.3 : 4)),
  // The stalled-backend subject: events sent while the backend is down and how long it stays
  // down. Enough events to fill its small sending queue many times over in either mode.
  stallEvents: quick ? 3000 : 12_000,
  stallSeconds: Number(args["stall-seconds"] ?? (quick ? 1 : 3)),
  concurrency: Number(args.concurrency ?? 8),
  batch: Number(args.batch ?? 100),
  drainTimeoutMs: quick ? 15_000 : 60_000,
  seed: Number(args.seed),
};
const dist = pathToFileURL(resolve(ROOT, process.env.BENCH_DIST ?? "dist")).href;
const outDir = resolve(args.out ?? join(BENCH, "results"));
const only = args.only ? new Set(args.only.split(",")) : undefined;

// Sequence numbers: [0, N) measured throughput, then the latency pool, the warm-up events, and
// for the stalled-backend subject its healthy phase (shorter than N: only its peak RSS and a
// sanity rate are needed) and the events sent while the backend is stalled.
const N = settings.events;
const layout = {
  main: { first: 0, count: N },
  pool: { first: N, count: settings.latencyPool },
  warm: { first: N + settings.latencyPool, count: settings.warmup },
  calm: { first: N + settings.latencyPool + settings.warmup, count: settings.stallEvents },
};
layout.stall = { first: layout.calm.first + layout.calm.count, count: settings.stallEvents };
const capacity = layout.stall.first + layout.stall.count;
const t0 = Date.now();
// The harness needs each event's severity (what a filtering scenario must deliver); the
// client process builds the same events again from the same seed to send them.
const sets = Object.fromEntries(
  Object.entries(layout).map(([name, { first, count }]) => [
    name,
    detections({ count, first, seed: settings.seed, t0 }),
  ]),
);
settings.eventBytes = Math.round(sets.main.bytes / N);

/** How many events of `set` in [from, from + count) a target expecting `mode` must receive. */
function expectedOf(mode, set, from, count) {
  if (mode === "some") return 0;
  if (mode === "all") return count;
  let n = 0;
  for (let i = from; i < from + count; i++) n += set.high[i - set.first];
  return n;
}

const sink = new Sink(capacity);
const sinkUrl = await sink.start();
const client = new ClientProcess({
  dist,
  seed: settings.seed,
  t0,
  batch: settings.batch,
  sets: layout,
});
await client.ready;

async function skipReason(scenario) {
  const { checkConfig } = await import(`${dist}/cli/validate.js`);
  const env = {
    ...process.env,
    BENCH_LISTEN: "127.0.0.1:1",
    BENCH_SINK: sinkUrl,
    BENCH_TELEMETRY: "127.0.0.1:2",
    BENCH_STORAGE: tmpdir(),
  };
  const checked = checkConfig([join(BENCH, "scenarios", scenario.file)], env);
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return undefined;
  const missing = errors.filter((d) => /unknown \w+ type/.test(d.message));
  if (missing.length === errors.length) {
    return {
      skipped: missing.map((d) => `${d.path.join(".")} not in this build`).join("; "),
    };
  }
  return { failed: errors.map((d) => `${d.path.join(".")}: ${d.message}`).join("; ") };
}

/** Adds one client call's answers (by status, retries, errors) to a subject's totals. */
function addTally(total, part) {
  for (const [code, n] of Object.entries(part.status))
    total.status[code] = (total.status[code] ?? 0) + n;
  total.retries += part.retries;
  total.failed += part.failed;
  total.errors.push(...part.errors.slice(0, 5 - total.errors.length));
}

async function measure(subject, kind) {
  sink.reset(capacity);
  const listen = `127.0.0.1:${await freePort()}`;
  const telemetry = `127.0.0.1:${await freePort()}`;
  const storage = subject.storage ? mkdtempSync(join(tmpdir(), "tripline-bench-")) : undefined;
  const env = {
    BENCH_LISTEN: listen,
    BENCH_TELEMETRY: telemetry,
    BENCH_SINK: sinkUrl,
    BENCH_SINK_URL: `${sinkUrl}${subject.sinkPath ?? ""}`,
    // Single worker unless the subject says otherwise, whatever the calling shell exports.
    TRIPLINE_WORKERS: "1",
    ...(storage ? { BENCH_STORAGE: storage } : {}),
  };
  const gateway = kind === "scenario";
  const argv = gateway
    ? [
        ...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${join(outDir, "profiles")}`] : []),
        fileURLToPath(`${dist}/cli/main.js`),
        "run",
        "-c",
        join(BENCH, "scenarios", subject.file),
        ...(subject.workers ? ["--workers", String(subject.workers)] : []),
      ]
    : [join(BENCH, subject.script)];
  const child = new Child(subject.id, argv, env);
  const input = subject.input ?? "detections";
  const phase = subject.stall ? "calm" : "main";
  const targets = Object.entries(subject.targets);
  const target = (name) => sink.target(name);
  const expected = new Map(targets.map(([name]) => [name, 0]));
  const expect = (name, from, count) => {
    for (const [t, mode] of targets) {
      expected.set(t, expected.get(t) + expectedOf(mode, sets[name], from, count));
    }
  };
  const complete = () =>
    targets.every(([name, mode]) =>
      mode === "some" ? target(name).requests > 0 : target(name).unique >= expected.get(name),
    );
  const tally = { status: {}, retries: 0, failed: 0, errors: [] };
  const send = async (name) => {
    const answer = await client.call("closedLoop", { name, concurrency: settings.concurrency });
    addTally(tally, answer);
    return answer;
  };

  try {
    await client.call("open", {
      origin: `http://${listen}`,
      kind: input,
      connections: settings.concurrency,
    });
    await client.call("prepare", {
      kind: input,
      names: ["warm", phase, ...(subject.stall ? ["stall"] : [])],
    });
    await child.ready(gateway ? `http://${telemetry}/readyz` : `http://${listen}/readyz`);
    const processes = treeMemoryMiB(child.pid).processes;
    if (subject.workers && processes < subject.workers + 1) {
      throw new Error(
        `expected a primary and ${subject.workers} workers, found ${processes} process(es)`,
      );
    }

    // Warm-up: lets the JIT settle and the connections open before anything is measured.
    expect("warm", layout.warm.first, layout.warm.count);
    await send("warm");
    await sink.waitUntil(complete, settings.drainTimeoutMs);

    const { first, count } = layout[phase];
    expect(phase, first, count);
    const cpuBefore = treeCpuSeconds(child.pid);
    const clientBefore = cpuSeconds(client.pid);
    const sinkBefore = process.cpuUsage();
    const run = await send(phase);
    const drained = await sink.waitUntil(complete, settings.drainTimeoutMs);
    // The harness's own time first: reading /proc below is not the sink's work.
    const sinkUsage = process.cpuUsage(sinkBefore);
    const sinkCpu = (sinkUsage.user + sinkUsage.system) / 1e6;
    const clientCpu = cpuSeconds(client.pid) - clientBefore;
    const cpu = treeCpuSeconds(child.pid) - cpuBefore;
    const memory = treeMemoryMiB(child.pid);
    const lastArrival = Math.max(...targets.map(([name]) => target(name).lastArrival));
    if (lastArrival <= run.start) {
      throw new Error(
        `nothing arrived at the sink within ${settings.drainTimeoutMs} ms (answers: ${JSON.stringify(tally.status)}; ${tally.errors.join("; ")})`,
      );
    }
    const wall = (lastArrival - run.start) / 1000;

    let delivered = 0;
    let expectedMain = 0;
    const perTarget = {};
    for (const [name, mode] of targets) {
      const t = target(name);
      const want = expectedOf(mode, sets[phase], first, count);
      const got = mode === "some" ? t.requests : t.arrivedIn(first, count);
      perTarget[name] = {
        mode,
        expected: want,
        delivered: got,
        requests: t.requests,
        bytes: t.bytes,
      };
      if (mode !== "some") {
        delivered += got;
        expectedMain += want;
      }
    }
    const measured = {
      status: "ok",
      events: count,
      eventsPerSec: count / wall,
      wallSeconds: wall,
      cpuSeconds: cpu,
      cpuPer1k: (cpu / count) * 1000,
      clientCpuSeconds: clientCpu,
      sinkCpuSeconds: sinkCpu,
      processes: memory.processes,
      peakRssMiB: memory.peak,
      rssAfterMiB: memory.current,
      drained,
      targets: perTarget,
    };
    const extra = subject.stall
      ? await stallPhases(subject, child, targets, complete, send, memory, run)
      : await latencyPhase(count / wall, targets, expect, complete, tally);
    if (subject.stall) {
      delivered += extra.stall.delivered;
      expectedMain += extra.stall.accepted;
    }

    const duplicates = targets.reduce((n, [name]) => n + target(name).duplicates, 0);
    const exit = await child.stop();
    return {
      ...measured,
      ...extra,
      delivered,
      expected: expectedMain,
      loss: expectedMain - delivered + (extra.latency?.lost ?? 0),
      duplicates,
      retries: tally.retries,
      statuses: tally.status,
      clientErrors: tally.errors,
      sinkErrors: sink.errors,
      exit,
    };
  } catch (error) {
    await child.stop();
    return {
      status: "failed",
      reason: error.message.split("\n")[0],
      output: child.output.slice(-4000),
    };
  } finally {
    sink.failWith.clear();
    await client.call("close").catch(() => {});
    if (storage) rmSync(storage, { recursive: true, force: true });
  }
}

/** Latency at half the measured maximum, open loop, about 100 requests a second. */
async function latencyPhase(maxRate, targets, expect, complete, tally) {
  const rate = 0.5 * maxRate;
  const perRequest = Math.max(1, Math.min(settings.batch, Math.round(rate / 100)));
  const count = Math.min(
    settings.latencyPool - (settings.latencyPool % perRequest),
    Math.max(perRequest, Math.round((rate * settings.latencySeconds) / perRequest) * perRequest),
  );
  expect("pool", layout.pool.first, count);
  const answer = await client.call("openLoop", {
    name: "pool",
    count,
    intervalMs: (perRequest / rate) * 1000,
  });
  addTally(tally, answer);
  await sink.waitUntil(complete, settings.drainTimeoutMs);
  const [primary, primaryMode] = targets[0];
  const latencies = [];
  let lost = 0;
  for (let i = 0; i < count; i++) {
    if (primaryMode === "high" && !sets.pool.high[i]) continue;
    const arrived = sink.target(primary).arrival[layout.pool.first + i];
    if (arrived === 0) lost++;
    else latencies.push(arrived - answer.sentAt[i]);
  }
  return {
    latency: {
      rate,
      eventsPerRequest: perRequest,
      events: count,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      lost,
    },
  };
}

/**
 * The backend stops accepting (503 + Retry-After) while the client keeps sending: the
 * gateway's bounded queue fills, its receiver refuses with 429/503, and memory must stay near
 * what the same config used with a healthy backend. Then the backend recovers and every event
 * the gateway acknowledged must arrive.
 */
async function stallPhases(subject, child, targets, complete, send, healthy, calm) {
  const [name] = targets[0];
  const { first, count } = layout.stall;
  sink.failWith.set(name, 503);
  const sending = send("stall");
  await sleep(settings.stallSeconds * 1000);
  const stalled = treeMemoryMiB(child.pid);
  sink.failWith.delete(name);
  const answer = await sending;
  const accepted = answer.accepted;
  // Only what the gateway acknowledged (2xx) must arrive; the client retries until it is.
  const acknowledged = () => sink.target(name).arrivedIn(first, count) >= accepted;
  const drained = await sink.waitUntil(() => complete() && acknowledged(), settings.drainTimeoutMs);
  const after = treeMemoryMiB(child.pid);
  const refused = Object.fromEntries(
    Object.entries(answer.status).filter(([code]) => code === "429" || code === "503"),
  );
  return {
    latency: undefined,
    peakRssMiB: after.peak,
    stall: {
      seconds: settings.stallSeconds,
      backendStatus: 503,
      events: count,
      accepted,
      notAccepted: answer.failed,
      delivered: sink.target(name).arrivedIn(first, count),
      refused,
      refusedRequests: Object.values(refused).reduce((a, b) => a + b, 0),
      // A queue this small can fill with a healthy backend too, when the client outpaces it.
      refusedHealthy: (calm.status[429] ?? 0) + (calm.status[503] ?? 0),
      healthyPeakRssMiB: healthy.peak,
      stalledPeakRssMiB: stalled.peak,
      stalledRssMiB: stalled.current,
      peakRssMiB: after.peak,
      stalledVsHealthy: stalled.peak / healthy.peak,
      peakVsHealthy: after.peak / healthy.peak,
      drained,
      queueSize: subject.queueSize,
    },
  };
}

async function subjectResult(subject, kind) {
  const base = { id: subject.id, title: subject.title, kind };
  if (kind === "baseline") return { ...base, ...(await measureRetryingPort(subject, kind)) };
  const withConfig = {
    ...base,
    config: `bench/scenarios/${subject.file}`,
    ...(subject.workers ? { workers: subject.workers } : {}),
  };
  const problem = await skipReason(subject);
  if (problem?.skipped) return { ...withConfig, status: "skipped", reason: problem.skipped };
  if (problem?.failed) return { ...withConfig, status: "failed", reason: problem.failed };
  return { ...withConfig, ...(await measureRetryingPort(subject, kind)) };
}

/**
 * freePort() closes the port it found before the gateway binds it, and other programs on the
 * machine may take it meanwhile: a gateway that could not listen is started once more on new
 * ports rather than reported as a failure of the scenario.
 */
async function measureRetryingPort(subject, kind) {
  const result = await measure(subject, kind);
  if (result.status !== "failed" || !/EADDRINUSE/.test(result.output ?? "")) return result;
  process.stderr.write("port taken, again on other ports … ");
  return measure(subject, kind);
}

const subjects = [];
const loadBefore = loadavg();
const plan = [
  ...BASELINES.map((b) => [b, "baseline"]),
  ...SCENARIOS.map((s) => [s, "scenario"]),
].filter(([subject]) => !only || only.has(subject.id));
for (const [subject, kind] of plan) {
  process.stderr.write(`bench: ${subject.id} … `);
  const began = performance.now();
  const result = await subjectResult(subject, kind);
  subjects.push(result);
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  process.stderr.write(
    `${result.status}${result.reason ? ` (${result.reason})` : ""}, ${seconds} s\n`,
  );
}
await sink.stop();
await client.stop();

const ceiling = subjects.find((s) => s.id === "ceiling" && s.status === "ok");
const sdk = subjects.find((s) => s.id === "otel-sdk" && s.status === "ok");
for (const s of subjects) {
  if (s.status !== "ok") continue;
  s.ratios = {
    throughputVsCeiling: ratio(s.eventsPerSec, ceiling?.eventsPerSec),
    cpuVsCeiling: ratio(s.cpuPer1k, ceiling?.cpuPer1k),
    rssVsCeiling: ratio(s.peakRssMiB, ceiling?.peakRssMiB),
    throughputVsSdk: ratio(s.eventsPerSec, sdk?.eventsPerSec),
    cpuVsSdk: ratio(s.cpuPer1k, sdk?.cpuPer1k),
  };
}

const result = {
  started: new Date(t0).toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${type()} ${release()}`,
    loadBefore,
    loadAfter: loadavg(),
  },
  settings,
  subjects,
  targets: checkTargets(subjects),
  workerScaling: workerScaling(subjects),
};
const table = write(outDir, result);
process.stdout.write(table);
process.exitCode = subjects.some((s) => s.status === "failed" || (s.status === "ok" && s.loss > 0))
  ? 1
  : 0;
