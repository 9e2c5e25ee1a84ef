import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without type declarations
import { dockerignore, parseDockerfile } from "../../scripts/check-dockerfile.mjs";
import { checkConfig } from "../../src/cli/validate.js";

const ROOT = join(import.meta.dirname, "../..");
const parsed = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const final = parsed.stages.at(-1);

describe("Dockerfile", () => {
  it("builds in stages and runs only production dependencies as a non-root user", () => {
    expect(parsed.stages.map((s: { name: string }) => s.name)).toEqual(["build", "deps", "2"]);
    const runs = (i: number) =>
      parsed.stages[i].steps
        .filter((s: { op: string }) => s.op === "RUN")
        .map((s: { command: string }) => s.command);
    expect(runs(0)).toContain("npm run build");
    expect(runs(1).join(" ")).toContain("npm install --omit=dev");
    expect(runs(2)).toEqual([]);
    const [uid] = final.user.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
  });

  it("exposes the default ports, keeps state on a volume and checks /healthz", () => {
    expect(final.expose.sort()).toEqual([4317, 4318, 8088, 8889, 9464]);
    expect(final.volumes).toEqual(["/var/lib/tripline"]);
    expect(final.env.TRIPLINE_CONFIG).toBe("/etc/tripline/config.yaml");
    expect(final.healthcheck.command.join(" ")).toContain("http://127.0.0.1:9464/healthz");
    expect([...final.entrypoint, ...final.cmd]).toEqual(["node", "dist/cli/main.js", "run"]);
  });

  it("ships a default config that listens on every interface and validates", () => {
    const file = join(ROOT, "deploy/docker/config.yaml");
    const checked = checkConfig([file]);
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(checked.config!.service.telemetry.metrics.address).toBe("0.0.0.0:9464");
    const text = readFileSync(file, "utf8");
    for (const port of final.expose) expect(text).toContain(`0.0.0.0:${port}`);
  });

  it("refuses instructions the replay cannot mirror", () => {
    expect(() => parseDockerfile("FROM node:20\nADD https://example.com/x /x\n")).toThrow(
      /ADD is not replayed/,
    );
  });
});

describe(".dockerignore", () => {
  it("matches like Docker: the last matching pattern wins and parents count", () => {
    const ignored = dockerignore("*\n!src/\n!deploy/docker/config.yaml\nsrc/**/*.test.ts\n");
    expect(ignored("node_modules/zod/index.js")).toBe(true);
    expect(ignored(".env")).toBe(true);
    expect(ignored("src/cli/main.ts")).toBe(false);
    expect(ignored("src/cli/main.test.ts")).toBe(true);
    expect(ignored("deploy/docker/config.yaml")).toBe(false);
    expect(ignored("deploy/helm/tripline/values.yaml")).toBe(true);
  });

  it("keeps local state out of the project's build context", () => {
    const ignored = dockerignore(readFileSync(join(ROOT, ".dockerignore"), "utf8"));
    for (const path of ["node_modules/x", "dist/cli/main.js", "data/q", ".git/HEAD", "test/a.ts"])
      expect(ignored(path), path).toBe(true);
    for (const path of ["package.json", "package-lock.json", "tsconfig.json", "src/cli/main.ts"])
      expect(ignored(path), path).toBe(false);
  });
});

describe("image replay", () => {
  it("installs, builds, prunes, starts as the image user and answers its HEALTHCHECK", async () => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/check-dockerfile.mjs")], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code, out.slice(-4000)).toBe(0);
    expect(out).toContain("HEALTHCHECK passes");
    for (const port of final.expose) expect(out).toContain(`EXPOSE ${port}: listening`);
    expect(out).toContain('/v1/detections: 200 {"accepted":1}');
    expect(out).toContain("SIGTERM: stopped cleanly (exit 0)");
  }, 300_000);
});
