import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, ScriptedServer } from "../scripted-server.js";

/**
 * A local Grafana annotations API (wire-contracts.md §5): POST /api/annotations with a Bearer
 * service-account token (401 without, 403 for a wrong one), JSON with `time` as integer epoch
 * ms, optional `timeEnd` ≥ time, `tags` string[], `text` string, optional `dashboardUID` /
 * `panelId` (400 otherwise); answers 200 {"message":"Annotation added","id":n}. PATCH
 * /api/annotations/:id updates text/tags/time/timeEnd (404 for an unknown id). Scripted
 * answers (`respondWith`) answer the next requests first.
 */
export interface Annotation {
  id: number;
  time: number;
  timeEnd?: number;
  tags: string[];
  text: string;
  dashboardUID?: string;
  panelId?: number;
}

export class GrafanaContractServer extends ScriptedServer {
  readonly annotations = new Map<number, Annotation>();
  readonly requests: {
    method: string;
    path: string;
    status: number;
    headers: IncomingMessage["headers"];
  }[] = [];
  private nextId = 1;

  constructor(readonly token = "glsa_test_token_0123456789") {
    super();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method: req.method ?? "", path, status, headers: req.headers });
      res
        .writeHead(status, { "content-type": "application/json", ...headers })
        .end(JSON.stringify(body));
    };
    const scripted = this.script.shift();
    if (scripted) {
      this.requests.push({
        method: req.method ?? "",
        path,
        status: scripted.status,
        headers: req.headers,
      });
      res.writeHead(scripted.status, scripted.headers).end(scripted.body ?? "");
      return;
    }
    const auth = req.headers.authorization;
    if (!auth) return answer(401, { message: "Unauthorized" });
    if (auth !== `Bearer ${this.token}`) return answer(403, { message: "invalid API key" });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      return answer(400, { message: "bad request data" });
    }
    const problem = check(body, req.method === "PATCH");
    if (problem) return answer(400, { message: problem });
    if (req.method === "POST" && path === "/api/annotations") {
      const id = this.nextId++;
      this.annotations.set(id, { id, ...(body as Omit<Annotation, "id">) });
      return answer(200, { message: "Annotation added", id });
    }
    const match = /^\/api\/annotations\/(\d+)$/.exec(path);
    if (req.method === "PATCH" && match) {
      const existing = this.annotations.get(Number(match[1]));
      if (!existing) return answer(404, { message: "Could not find annotation to update" });
      Object.assign(existing, body);
      return answer(200, { message: "Annotation patched" });
    }
    return answer(404, { message: "Not found" });
  }
}

function check(body: Record<string, unknown>, partial: boolean): string | undefined {
  const isMs = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 1e12 && v < 1e14;
  if (!partial || body.time !== undefined)
    if (!isMs(body.time)) return "time must be epoch milliseconds";
  if (
    body.timeEnd !== undefined &&
    (!isMs(body.timeEnd) || (body.timeEnd as number) < (body.time as number))
  ) {
    return "timeEnd must be epoch milliseconds ≥ time";
  }
  if (!partial || body.tags !== undefined) {
    if (!Array.isArray(body.tags) || body.tags.some((t) => typeof t !== "string"))
      return "tags must be strings";
  }
  if (!partial || body.text !== undefined)
    if (typeof body.text !== "string") return "text is required";
  if (body.dashboardUID !== undefined && typeof body.dashboardUID !== "string")
    return "dashboardUID must be a string";
  if (body.panelId !== undefined && !Number.isInteger(body.panelId))
    return "panelId must be an integer";
  return undefined;
}
