#!/usr/bin/env node
// CPU time per 100-record batch of the hot functions, measured with process.cpuUsage() over a
// fixed number of calls: on a shared, loaded machine wall-clock timings (micro.mjs) swing with
// the load, CPU time much less. Compare two builds in the same run:
//   node bench/micro-cpu.mjs --base /tmp/old/dist --dist /tmp/new/dist [--rounds 3]
// Each build runs in its own process, alternating, and the median of the rounds is shown.
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const BENCH = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    dist: { type: "string", default: process.env.BENCH_DIST ?? resolve(BENCH, "..", "dist") },
    base: { type: "string" },
    rounds: { type: "string", default: "3" },
    child: { type: "boolean", default: false },
  },
});

if (args.child) {
  const dist = pathToFileURL(resolve(args.dist)).href;
  const { detections } = await import("./lib/generate.mjs");
  const { DetectionMapper } = await import(`${dist}/processors/detection/mapper.js`);
  const { itemRecord } = await import(`${dist}/receivers/internal/records.js`);
  const { decodeBody } = await import(`${dist}/receivers/detections/decode.js`);
  const { encodeLogsProto, decodeLogsProto } = await import(`${dist}/pdata/otlp-proto.js`);
  const { encodeLogsRequest } = await import(`${dist}/pdata/otlp-json.js`);
  const dd = await import(`${dist}/exporters/datadog_logs/encode.js`);
  const { Redactor } = await import(`${dist}/processors/redaction/redactor.js`);
  const { redactionConfigSchema } = await import(`${dist}/processors/redaction/config.js`);
  const { DEFAULT_TAG_ATTRIBUTES } = await import(`${dist}/exporters/datadog_logs/config.js`);
  const { lines } = detections({ count: 100, seed: 7, t0: Date.parse("2026-11-20T09:00:00Z") });
  const ndjson = `${lines.join("\n")}\n`;
  const jsonArray = `[${lines.join(",\n")}]`;
  const resource = { attributes: { "service.name": "bench" } };
  const scope = { name: "tripline/receiver/detections" };
  const limits = { maxItems: 10_000, maxDepth: 32, maxStringLength: 1024 * 1024 };
  const operant = DetectionMapper.fromOptions({ preset: "operant" });
  const mapAll = (texts) =>
    texts.map((line) => {
      const record = itemRecord(JSON.parse(line), 0n, resource, scope);
      operant.map(record);
      return record;
    });
  const mapped = mapAll(lines);
  const encoded = encodeLogsProto(mapped);
  const redactor = new Redactor(redactionConfigSchema.parse({}));
  // Redaction rewrites records in place: rotate over copies so most calls see unredacted text.
  const redactionSets = Array.from({ length: 20 }, () => mapAll(lines));
  let redactionCall = 0;
  const ddOptions = { tags: ["team:platform"], tagAttributes: DEFAULT_TAG_ATTRIBUTES };
  const tasks = {
    "decode NDJSON body": () => decodeBody(ndjson, true, limits),
    "decode JSON array body": () => decodeBody(jsonArray, false, limits),
    "parse + map, operant": () => mapAll(lines),
    "redaction, default rules": () => {
      for (const record of redactionSets[redactionCall++ % redactionSets.length]) {
        redactor.redact(record);
      }
    },
    "OTLP protobuf encode": () => encodeLogsProto(mapped),
    "OTLP protobuf decode": () => decodeLogsProto(encoded),
    "OTLP JSON encode + stringify": () =>
      JSON.stringify(encodeLogsRequest(mapped), (_, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    "Datadog encode + serialise": () =>
      dd.requestBody(
        mapped.map((rec) => dd.serializeLog(dd.toDatadogLog(rec, ddOptions), 1_000_000).json),
      ),
  };
  const out = {};
  for (const [name, fn] of Object.entries(tasks)) {
    for (let i = 0; i < 200; i++) fn(); // warm-up: let the JIT settle
    const calls = 1000;
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    out[name] = (used.user + used.system) / calls; // µs of CPU per 100-record batch
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const builds = args.base ? { base: args.base, dist: args.dist } : { dist: args.dist };
const samples = {};
for (let round = 0; round < Number(args.rounds); round++) {
  for (const [label, dist] of Object.entries(builds)) {
    const text = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", "--dist", dist],
      { encoding: "utf8" },
    );
    for (const [task, us] of Object.entries(JSON.parse(text))) {
      samples[task] ??= {};
      samples[task][label] ??= [];
      samples[task][label].push(us);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(samples).map(([task, byBuild]) => {
  const row = { task };
  for (const label of Object.keys(builds))
    row[`${label} CPU µs/100`] = Math.round(median(byBuild[label]));
  if (args.base)
    row.change = `${Math.round((row["dist CPU µs/100"] / row["base CPU µs/100"] - 1) * 100)}%`;
  return row;
});
console.table(rows);
