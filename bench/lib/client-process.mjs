// The load client's own process (see ClientProcess in load.mjs). It builds the request bodies
// from the same seed as the harness and sends them when told, so the CPU it spends is its own
// and can be reported next to the gateway's.
import { nowMs } from "./clock.mjs";
import { detections } from "./generate.mjs";
import { LoadClient, ndjsonBatches } from "./load.mjs";
import { otlpBatches } from "./otlp-input.mjs";

let init;
const sets = new Map();
const bodies = new Map();
let client;

function set(name) {
  let s = sets.get(name);
  if (!s) {
    const { first, count } = init.sets[name];
    s = detections({ count, first, seed: init.seed, t0: init.t0 });
    sets.set(name, s);
  }
  return s;
}

function build(kind, lines, first) {
  return kind === "otlp"
    ? otlpBatches(init.dist, lines, first, init.batch)
    : ndjsonBatches(lines, first, init.batch);
}

/** Request bodies of every event of set `name`, built once per input kind. */
async function batches(kind, name) {
  const key = `${kind}/${name}`;
  if (!bodies.has(key)) bodies.set(key, await build(kind, set(name).lines, set(name).first));
  return bodies.get(key);
}

/** What the client saw since `before` (a snapshot of an earlier `tally()`). */
function tally(before) {
  const status = {};
  for (const [code, n] of Object.entries(client.status)) {
    const d = n - (before?.status[code] ?? 0);
    if (d > 0) status[code] = d;
  }
  return {
    status,
    accepted: client.accepted - (before?.accepted ?? 0),
    retries: client.retries - (before?.retries ?? 0),
    failed: client.failed - (before?.failed ?? 0),
    errors: client.errors.slice(before?.errors.length ?? 0),
  };
}

const ops = {
  async init(args) {
    init = args;
  },

  /** A new subject: a fresh connection pool to its address. */
  async open({ origin, kind, connections }) {
    await client?.close();
    client = new LoadClient(origin, {
      path: kind === "otlp" ? "/v1/logs" : "/v1/detections",
      contentType: kind === "otlp" ? "application/x-protobuf" : "application/x-ndjson",
      connections,
    });
    this.kind = kind;
  },

  /** Builds the bodies ahead of time, so the measured phases only send. */
  async prepare({ kind, names }) {
    for (const name of names) await batches(kind, name);
  },

  async closedLoop({ name, concurrency }) {
    const list = await batches(this.kind, name);
    const before = tally();
    const start = nowMs();
    await client.closedLoop(list, concurrency);
    return { start, end: nowMs(), ...tally(before) };
  },

  async openLoop({ name, count, intervalMs }) {
    const s = set(name);
    // The first `count` events only, a different number per subject: not worth keeping.
    const list = await build(this.kind, s.lines.slice(0, count), s.first);
    const sentAt = new Float64Array(s.first + count);
    const before = tally();
    await client.openLoop(list, intervalMs, sentAt);
    return { sentAt: sentAt.subarray(s.first), ...tally(before) };
  },

  async close() {
    await client?.close();
    client = undefined;
  },
};

process.on("message", async ({ id, op, args }) => {
  try {
    process.send({ id, result: await ops[op].call(ops, args) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => {
  client?.close().finally(() => process.exit(0));
  if (!client) process.exit(0);
});
