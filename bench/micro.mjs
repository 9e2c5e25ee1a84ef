#!/usr/bin/env node
// `npm run bench:micro`: tinybench on the hot functions, per record or per 100-record batch,
// from the same generated events as the end-to-end benchmark. Writes bench/results/micro.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { agentTrace, detections, random } from "./lib/generate.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const dist = pathToFileURL(resolve(BENCH, "..", process.env.BENCH_DIST ?? "dist")).href;
const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, out: { type: "string" } },
});

const { DetectionMapper } = await import(`${dist}/processors/detection/mapper.js`);
const { itemRecord } = await import(`${dist}/receivers/internal/records.js`);
const { decodeBody } = await import(`${dist}/receivers/detections/decode.js`);
const { compileCondition } = await import(`${dist}/expr/index.js`);
const { encodeLogsProto, decodeLogsProto } = await import(`${dist}/pdata/otlp-proto.js`);
const { encodeLogsRequest } = await import(`${dist}/pdata/otlp-json.js`);
const dd = await import(`${dist}/exporters/datadog_logs/encode.js`);
const { DEFAULT_TAG_ATTRIBUTES } = await import(`${dist}/exporters/datadog_logs/config.js`);

const BATCH = 100;
const { lines } = detections({ count: BATCH, seed: 7, t0: Date.parse("2026-11-20T09:00:00Z") });
const ndjson = `${lines.join("\n")}\n`;
const r = random(7);
const traceLines = Array.from({ length: BATCH }, (_, i) => JSON.stringify(agentTrace(r, i, 0)));
const resource = { attributes: { "service.name": "bench" } };
const scope = { name: "tripline/receiver/detections" };
const limits = { maxItems: 10_000, maxDepth: 32, maxStringLength: 1024 * 1024 };

const operant = DetectionMapper.fromOptions({ preset: "operant" });
const execlave = DetectionMapper.fromOptions({ preset: "execlave" });
const mapAll = (mapper, texts) =>
  texts.map((line) => {
    const record = itemRecord(JSON.parse(line), 0n, resource, scope);
    mapper.map(record);
    return record;
  });
const mapped = mapAll(operant, lines);
const encoded = encodeLogsProto(mapped);
const condition = compileCondition(
  'attributes["detection.severity"] == "high" or (attributes["detection.action"] == "blocked" and IsMatch(attributes["gen_ai.agent.id"], "^billing-.*"))',
);
const ddOptions = {
  tags: ["team:platform"],
  tagAttributes: DEFAULT_TAG_ATTRIBUTES,
  maxEntryBytes: 1_000_000,
};

const bench = new Bench({ time: args.quick ? 100 : 1000, warmupTime: args.quick ? 20 : 200 });
bench
  .add(`decode NDJSON body (${BATCH} detections, receiver decode.ts)`, () =>
    decodeBody(ndjson, true, limits),
  )
  .add(`parse + map, operant preset (${BATCH} detections)`, () => mapAll(operant, lines))
  .add(`parse + map, execlave preset (${BATCH} agent traces)`, () => mapAll(execlave, traceLines))
  .add(`OTTL condition (${BATCH} records)`, () => {
    let n = 0;
    for (const record of mapped) if (condition(record)) n++;
    return n;
  })
  .add(`OTLP protobuf encode (${BATCH} records, otlp-proto.ts)`, () => encodeLogsProto(mapped))
  .add(`OTLP protobuf decode (${BATCH} records, otlp-proto.ts)`, () => decodeLogsProto(encoded))
  .add(`OTLP JSON encode + stringify (${BATCH} records)`, () =>
    JSON.stringify(encodeLogsRequest(mapped), (_, v) => (typeof v === "bigint" ? v.toString() : v)),
  )
  .add(`Datadog encode + serialise (${BATCH} records, datadog_logs/encode.ts)`, () =>
    dd.requestBody(
      mapped.map((rec) => dd.serializeLog(dd.toDatadogLog(rec, ddOptions), 1_000_000).json),
    ),
  );

await bench.run();
const rows = bench.tasks.map((task) => {
  const res = task.result;
  const meanMs = res?.latency?.mean;
  return {
    task: task.name,
    "µs / batch": meanMs === undefined ? undefined : Number((meanMs * 1000).toFixed(1)),
    "µs / record": meanMs === undefined ? undefined : Number(((meanMs * 1000) / BATCH).toFixed(2)),
    "records/s": meanMs === undefined ? undefined : Math.round((BATCH / meanMs) * 1000),
    "±%": res?.latency?.rme === undefined ? undefined : Number(res.latency.rme.toFixed(1)),
    samples: res?.latency?.samplesCount ?? res?.latency?.samples?.length,
  };
});
console.table(rows);
const outDir = resolve(args.out ?? join(BENCH, "results"));
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "micro.json"),
  `${JSON.stringify({ node: process.version, rows }, null, 2)}\n`,
);
