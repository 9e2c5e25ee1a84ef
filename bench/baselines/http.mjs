// The HTTP front both baselines share: POST NDJSON to /v1/detections, GET /readyz. Kept
// minimal on purpose: the baselines measure what the job costs without a framework.
import { createServer } from "node:http";

export function listen(handleLines) {
  const [host, port] = (process.env.BENCH_LISTEN ?? "127.0.0.1:8088").split(":");
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/readyz") {
      res.writeHead(200).end("ok");
      return;
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      try {
        const lines = Buffer.concat(chunks).toString("utf8").split("\n");
        const accepted = await handleLines(lines);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`{"accepted":${accepted}}`);
      } catch (error) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ error: error.message }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(port), host);
  return server;
}

/** The same five-level scale the gateway's presets use, as OTel severity numbers. */
export const SEVERITY_NUMBER = { info: 9, low: 10, medium: 13, high: 17, critical: 21 };
