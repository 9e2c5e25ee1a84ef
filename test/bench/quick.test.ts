import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: the benchmark is plain ESM JavaScript with no type declarations.
import { BASELINES, SCENARIOS } from "../../bench/scenarios.mjs";

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), "tripline-bench-quick-"));

interface Subject {
  id: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  delivered?: number;
  expected?: number;
  loss?: number;
  latency?: { lost: number; events: number };
  workers?: number;
  processes?: number;
  stall?: { events: number; accepted: number; delivered: number };
  targets?: Record<string, { mode: string; delivered: number; expected: number }>;
}

afterAll(() => rmSync(out, { recursive: true, force: true }));

// The smoke version of `npm run bench` (CI): no numbers are asserted, only that nothing is lost.
describe("npm run bench -- --quick", () => {
  it("delivers every event in every scenario it can run and writes the result files", async () => {
    // BENCH_DIST (default ./dist, built by `npm test`) says which build is measured.
    const { stdout } = await run(process.execPath, ["bench/run.mjs", "--quick", "--out", out], {
      env: process.env,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });

    expect(existsSync(join(out, "latest.md"))).toBe(true);
    const result = JSON.parse(readFileSync(join(out, "latest.json"), "utf8")) as {
      subjects: Subject[];
    };
    const ids = result.subjects.map((s) => s.id);
    // No silent omission: every baseline and scenario has a row, skipped ones with a reason.
    expect(ids).toEqual([...BASELINES, ...SCENARIOS].map((s: { id: string }) => s.id));
    for (const subject of result.subjects) {
      if (subject.status === "skipped") {
        expect(subject.reason, subject.id).toMatch(/not in this build/);
        continue;
      }
      expect(subject.status, `${subject.id}: ${subject.reason ?? ""}`).toBe("ok");
      expect(subject.delivered, subject.id).toBe(subject.expected);
      expect(subject.loss, subject.id).toBe(0);
      if (subject.stall) {
        // Stalled backend: refusals are retryable, so the client gets every event accepted in
        // the end, and everything the gateway acknowledged arrives once the backend recovers.
        expect(subject.stall.accepted, subject.id).toBe(subject.stall.events);
        expect(subject.stall.delivered, subject.id).toBe(subject.stall.accepted);
      } else {
        expect(subject.latency?.lost, subject.id).toBe(0);
      }
      // CPU and RSS of a `--workers N` gateway are read from the primary and every worker.
      expect(subject.processes, subject.id).toBe(subject.workers ? subject.workers + 1 : 1);
      for (const [name, target] of Object.entries(subject.targets ?? {})) {
        if (target.mode === "some")
          expect(target.delivered, `${subject.id}/${name}`).toBeGreaterThan(0);
        else expect(target.delivered, `${subject.id}/${name}`).toBe(target.expected);
      }
    }
    expect(result.subjects.some((s) => s.status === "ok")).toBe(true);
    expect(stdout).toContain("| Scenario |");
    if (ids.includes("a×2") && ids.includes("a")) expect(stdout).toMatch(/2 workers vs 1: /);
  }, 90_000);
});
