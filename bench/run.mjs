#!/usr/bin/env node
// `npm run bench`: runs both baselines and every scenario against a loopback sink, one process
// at a time, and writes bench/results/latest.{json,md}. See bench/README.md.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { detections } from "./lib/generate.mjs";
import { LoadClient, ndjsonBatches } from "./lib/load.mjs";
import { otlpBatches } from "./lib/otlp-input.mjs";
import { Child, cpuSeconds, freePort, memoryMiB } from "./lib/proc.mjs";
import { checkTargets, write } from "./lib/report.mjs";
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
    out: { type: "string" },
    seed: { type: "string", default: "42" },
    // Writes a V8 CPU profile of each gateway to <out>/profiles (see bench/profile-top.mjs).
    "cpu-prof": { type: "boolean", default: false },
  },
});

const quick = args.quick;
const settings = {
  quick,
  events: Number(args.events ?? (quick ? 1000 : 60_000)),
  warmup: quick ? 100 : 5000,
  latencyPool: quick ? 300 : 40_000,
  latencySeconds: Number(args["latency-seconds"] ?? (quick ? 0.3 : 4)),
  concurrency: Number(args.concurrency ?? 8),
  batch: Number(args.batch ?? 100),
  drainTimeoutMs: quick ? 15_000 : 60_000,
  seed: Number(args.seed),
};
const dist = pathToFileURL(resolve(ROOT, process.env.BENCH_DIST ?? "dist")).href;
const outDir = resolve(args.out ?? join(BENCH, "results"));
const only = args.only ? new Set(args.only.split(",")) : undefined;

// Sequence numbers: [0, N) measured throughput, then the latency pool, then warm-up events.
const N = settings.events;
const latencyFirst = N;
const warmFirst = N + settings.latencyPool;
const capacity = warmFirst + settings.warmup;
const t0 = Date.now();
const main = detections({ count: N, first: 0, seed: settings.seed, t0 });
const pool = detections({
  count: settings.latencyPool,
  first: latencyFirst,
  seed: settings.seed,
  t0,
});
const warm = detections({ count: settings.warmup, first: warmFirst, seed: settings.seed, t0 });
settings.eventBytes = Math.round(main.bytes / N);

const inputs = new Map();
async function input(kind) {
  if (!inputs.has(kind)) {
    const build =
      kind === "otlp"
        ? (set) => otlpBatches(dist, set.lines, set.first, settings.batch)
        : async (set) => ndjsonBatches(set.lines, set.first, settings.batch);
    inputs.set(kind, {
      main: await build(main),
      warm: await build(warm),
      pool: pool,
      build,
      contentType: kind === "otlp" ? "application/x-protobuf" : "application/x-ndjson",
      path: kind === "otlp" ? "/v1/logs" : "/v1/detections",
    });
  }
  return inputs.get(kind);
}

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
const sentAt = new Float64Array(capacity);

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

async function measure(subject, kind) {
  sink.reset(capacity);
  sentAt.fill(0);
  const listen = `127.0.0.1:${await freePort()}`;
  const telemetry = `127.0.0.1:${await freePort()}`;
  const storage = subject.storage ? mkdtempSync(join(tmpdir(), "tripline-bench-")) : undefined;
  const env = {
    BENCH_LISTEN: listen,
    BENCH_TELEMETRY: telemetry,
    BENCH_SINK: sinkUrl,
    BENCH_SINK_URL: `${sinkUrl}${subject.sinkPath ?? ""}`,
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
      ]
    : [join(BENCH, subject.script)];
  const child = new Child(subject.id, argv, env);
  const data = await input(subject.input ?? "detections");
  const client = new LoadClient(`http://${listen}`, {
    path: data.path,
    contentType: data.contentType,
    connections: settings.concurrency,
  });
  const targets = Object.entries(subject.targets);
  const target = (name) => sink.target(name);
  const expected = new Map(targets.map(([name]) => [name, 0]));
  const expect = (set, from, count) => {
    for (const [name, mode] of targets) {
      expected.set(name, expected.get(name) + expectedOf(mode, set, from, count));
    }
  };
  const complete = () =>
    targets.every(([name, mode]) =>
      mode === "some" ? target(name).requests > 0 : target(name).unique >= expected.get(name),
    );

  try {
    await child.ready(gateway ? `http://${telemetry}/readyz` : `http://${listen}/readyz`);

    // Warm-up: lets the JIT settle and the connections open before anything is measured.
    expect(warm, warmFirst, settings.warmup);
    await client.closedLoop(data.warm, settings.concurrency);
    await sink.waitUntil(complete, settings.drainTimeoutMs);

    expect(main, 0, N);
    const cpuBefore = cpuSeconds(child.pid);
    const start = performance.now();
    await client.closedLoop(data.main, settings.concurrency, sentAt);
    const drained = await sink.waitUntil(complete, settings.drainTimeoutMs);
    const cpu = cpuSeconds(child.pid) - cpuBefore;
    const memory = memoryMiB(child.pid);
    const lastArrival = Math.max(...targets.map(([name]) => target(name).lastArrival));
    if (lastArrival <= start) {
      throw new Error(
        `nothing arrived at the sink within ${settings.drainTimeoutMs} ms (answers: ${JSON.stringify(client.status)}; ${client.errors.join("; ")})`,
      );
    }
    const wall = (lastArrival - start) / 1000;

    let delivered = 0;
    let expectedMain = 0;
    const perTarget = {};
    for (const [name, mode] of targets) {
      const t = target(name);
      const want = expectedOf(mode, main, 0, N);
      const got = mode === "some" ? t.requests : t.arrivedIn(0, N);
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

    // Latency at half the measured maximum, open loop, about 100 requests a second.
    const rate = (0.5 * N) / wall;
    const perRequest = Math.max(1, Math.min(settings.batch, Math.round(rate / 100)));
    const count = Math.min(
      settings.latencyPool - (settings.latencyPool % perRequest),
      Math.max(perRequest, Math.round((rate * settings.latencySeconds) / perRequest) * perRequest),
    );
    const latencyBatches = (
      await data.build({ ...pool, lines: pool.lines.slice(0, count) })
    ).slice();
    expect(pool, latencyFirst, count);
    await client.openLoop(latencyBatches, (perRequest / rate) * 1000, sentAt);
    await sink.waitUntil(complete, settings.drainTimeoutMs);
    const [primary, primaryMode] = targets[0];
    const latencies = [];
    let latencyLost = 0;
    for (let seq = latencyFirst; seq < latencyFirst + count; seq++) {
      if (primaryMode === "high" && !pool.high[seq - latencyFirst]) continue;
      const arrived = target(primary).arrival[seq];
      if (arrived === 0) latencyLost++;
      else latencies.push(arrived - sentAt[seq]);
    }

    const duplicates = targets.reduce((n, [name]) => n + target(name).duplicates, 0);
    const exit = await child.stop();
    return {
      status: "ok",
      eventsPerSec: N / wall,
      wallSeconds: wall,
      cpuSeconds: cpu,
      cpuPer1k: (cpu / N) * 1000,
      peakRssMiB: memory.peak,
      rssAfterMiB: memory.current,
      latency: {
        rate,
        eventsPerRequest: perRequest,
        events: count,
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        lost: latencyLost,
      },
      delivered,
      expected: expectedMain,
      loss: expectedMain - delivered + latencyLost,
      drained,
      duplicates,
      targets: perTarget,
      retries: client.retries,
      statuses: client.status,
      clientErrors: client.errors,
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
    await client.close();
    if (storage) rmSync(storage, { recursive: true, force: true });
  }
}

async function subjectResult(subject, kind) {
  const base = { id: subject.id, title: subject.title, kind };
  if (kind === "baseline") return { ...base, ...(await measure(subject, kind)) };
  const withConfig = { ...base, config: `bench/scenarios/${subject.file}` };
  const problem = await skipReason(subject);
  if (problem?.skipped) return { ...withConfig, status: "skipped", reason: problem.skipped };
  if (problem?.failed) return { ...withConfig, status: "failed", reason: problem.failed };
  return { ...withConfig, ...(await measure(subject, kind)) };
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
};
const table = write(outDir, result);
process.stdout.write(table);
process.exitCode = subjects.some((s) => s.status === "failed" || (s.status === "ok" && s.loss > 0))
  ? 1
  : 0;
