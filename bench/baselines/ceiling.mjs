// Baseline 1, the ceiling: the least a Node process can do for the job. Read NDJSON, parse each
// line, check its severity, add two tags, forward the request's items as one JSON batch and
// answer once the backend accepted them (the same no-early-acknowledgement promise the gateway
// keeps). No framework, no data model, no queue, no retries.
import { Pool } from "undici";
import { listen, SEVERITY_NUMBER } from "./http.mjs";

const target = new URL(process.env.BENCH_SINK_URL ?? "http://127.0.0.1:4318/ceiling");
const pool = new Pool(target.origin, { connections: 16, keepAliveTimeout: 60_000 });

listen(async (lines) => {
  const out = [];
  for (const line of lines) {
    if (line === "") continue;
    const item = JSON.parse(line);
    const number = SEVERITY_NUMBER[item.severity] ?? 9;
    item.alert = number >= SEVERITY_NUMBER.high;
    item.env = "bench";
    item.team = "platform";
    out.push(item);
  }
  const res = await pool.request({
    method: "POST",
    path: target.pathname,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(out),
  });
  await res.body.text();
  if (res.statusCode >= 300) throw new Error(`backend answered ${res.statusCode}`);
  return out.length;
});

process.on("SIGTERM", () => pool.close().then(() => process.exit(0)));
