#!/usr/bin/env node
/**
 * Replays the Dockerfile without a Docker engine and checks the result: each stage gets its own
 * root folder, COPY copies (honouring .dockerignore), RUN runs in the mapped WORKDIR, and the
 * final stage's ENTRYPOINT + CMD start as the image's USER (setpriv) in a network namespace of
 * its own, so the image's real ports and config are used without clashing with anything else.
 * Then the HEALTHCHECK command must pass, every EXPOSEd port must accept connections, a
 * detection must be accepted, and SIGTERM must stop the process cleanly.
 *
 * Usage: node scripts/check-dockerfile.mjs [--keep]   (root only: setpriv and unshare need it)
 *
 * The parser is written here because it reads only the handful of instructions the project's
 * Dockerfile uses; anything else is refused rather than guessed at.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SUPPORTED = new Set([
  "ARG",
  "FROM",
  "WORKDIR",
  "COPY",
  "RUN",
  "ENV",
  "USER",
  "VOLUME",
  "EXPOSE",
  "HEALTHCHECK",
  "ENTRYPOINT",
  "CMD",
]);

/** Joins continuation lines and drops comments and the `# syntax=` directive. */
function logicalLines(text) {
  const lines = [];
  let current = "";
  let startLine = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (current === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) return;
    if (current === "") startLine = i + 1;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      return;
    }
    current += line;
    lines.push({ line: startLine, text: current.trim() });
    current = "";
  });
  return lines;
}

function parseFlags(rest) {
  const flags = {};
  let body = rest;
  for (;;) {
    const m = /^--([a-z-]+)=(\S+)\s+/.exec(body);
    if (!m) break;
    flags[m[1]] = m[2];
    body = body.slice(m[0].length);
  }
  return { flags, body };
}

/** ENV A=b C="d e" or the legacy ENV A b form. */
function parseEnv(body) {
  const env = {};
  if (!body.includes("=")) {
    const [key, ...value] = body.split(/\s+/);
    env[key] = value.join(" ");
    return env;
  }
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|(\S*))/g;
  for (const m of body.matchAll(re)) env[m[1]] = m[3] ?? m[4];
  return env;
}

function execForm(body) {
  const trimmed = body.trim();
  if (!trimmed.startsWith("[")) return ["/bin/sh", "-c", trimmed];
  return JSON.parse(trimmed);
}

/** Parses a Dockerfile into its stages; throws on an instruction the replay does not know. */
export function parseDockerfile(text) {
  const args = {};
  const stages = [];
  let stage;
  for (const { line, text: l } of logicalLines(text)) {
    const m = /^(\w+)\s+(.*)$/s.exec(l);
    if (!m) throw new Error(`Dockerfile:${line}: cannot parse "${l}"`);
    const op = m[1].toUpperCase();
    const rest = m[2];
    if (!SUPPORTED.has(op)) throw new Error(`Dockerfile:${line}: ${op} is not replayed`);
    const expand = (s) =>
      s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? stage?.env[a ?? b] ?? "");
    if (op === "ARG") {
      const [name, value] = rest.split("=");
      args[name.trim()] = value?.trim() ?? "";
      continue;
    }
    if (op === "FROM") {
      const fm = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(expand(rest));
      if (!fm) throw new Error(`Dockerfile:${line}: cannot parse FROM`);
      stage = {
        image: fm[1],
        name: fm[2] ?? String(stages.length),
        workdir: "/",
        env: {},
        user: "0:0",
        steps: [],
        expose: [],
        volumes: [],
      };
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`Dockerfile:${line}: ${op} before FROM`);
    switch (op) {
      case "WORKDIR":
        stage.workdir = resolve(stage.workdir, expand(rest));
        stage.steps.push({ op, line, path: stage.workdir });
        break;
      case "ENV":
        Object.assign(stage.env, parseEnv(rest));
        break;
      case "USER":
        stage.user = expand(rest).trim();
        break;
      case "VOLUME":
        stage.volumes.push(
          ...(rest.trim().startsWith("[") ? JSON.parse(rest) : rest.trim().split(/\s+/)),
        );
        break;
      case "EXPOSE":
        stage.expose.push(...rest.split(/\s+/).map((p) => Number.parseInt(p, 10)));
        break;
      case "ENTRYPOINT":
        stage.entrypoint = execForm(rest);
        break;
      case "CMD":
        stage.cmd = execForm(rest);
        break;
      case "HEALTHCHECK": {
        const { flags, body } = parseFlags(rest);
        const cm = /^CMD\s+(.*)$/s.exec(body);
        if (!cm) throw new Error(`Dockerfile:${line}: HEALTHCHECK without CMD`);
        stage.healthcheck = { flags, command: execForm(cm[1]) };
        break;
      }
      case "COPY": {
        const { flags, body } = parseFlags(rest);
        const parts = body.trim().split(/\s+/);
        stage.steps.push({
          op,
          line,
          from: flags.from,
          chown: flags.chown,
          sources: parts.slice(0, -1),
          dest: parts.at(-1),
        });
        break;
      }
      case "RUN":
        stage.steps.push({ op, line, command: rest });
        break;
    }
  }
  return { args, stages };
}

/**
 * Docker's .dockerignore rules: patterns in order, the last one that matches a path (or one of
 * its parent folders) decides, `!` re-includes. Globs: `*` and `?` within a segment, `**` across.
 */
export function dockerignore(text) {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, "");
      const source = pattern
        .split("/")
        .map((seg) =>
          seg === "**"
            ? ".*"
            : seg
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, "[^/]*")
                .replace(/\?/g, "[^/]"),
        )
        .join("/");
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split("/");
    let excluded = false;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (rule.re.test(parts.slice(0, i).join("/"))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", ...options });
  if (result.status !== 0)
    throw new Error(`${[cmd, ...args].join(" ")} exited ${result.status ?? result.signal}`);
}

function chownTree(path, uid, gid) {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory())
    for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

function parseUser(user) {
  const [u, g] = user.split(":");
  const uid = Number(u);
  const gid = Number(g ?? u);
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error(`USER ${user}: use numeric ids (Kubernetes runAsNonRoot needs them)`);
  return { uid, gid };
}

/** Replays every stage; returns each stage's root folder. */
function build(context, parsed, work) {
  const ignored = dockerignore(readFileSync(join(context, ".dockerignore"), "utf8"));
  const roots = new Map();
  const into = (root, path) => join(root, path);
  for (const stage of parsed.stages) {
    const root = join(work, `stage-${stage.name}`);
    mkdirSync(root, { recursive: true });
    roots.set(stage.name, root);
    let workdir = "/";
    console.log(`\n== stage ${stage.name} (${stage.image})`);
    for (const step of stage.steps) {
      if (step.op === "WORKDIR") {
        workdir = step.path;
        mkdirSync(into(root, workdir), { recursive: true });
        continue;
      }
      if (step.op === "COPY") {
        const fromRoot = step.from ? roots.get(step.from) : context;
        if (!fromRoot) throw new Error(`Dockerfile:${step.line}: unknown stage ${step.from}`);
        const destAbs = resolve(workdir, step.dest);
        const destIsDir = step.dest.endsWith("/") || step.sources.length > 1;
        for (const source of step.sources) {
          const src = join(fromRoot, source);
          if (!existsSync(src)) throw new Error(`Dockerfile:${step.line}: COPY ${source}: missing`);
          const isDir = statSync(src).isDirectory();
          const target = into(root, destIsDir && !isDir ? join(destAbs, source) : destAbs);
          mkdirSync(isDir ? target : dirname(target), { recursive: true });
          cpSync(src, target, {
            recursive: true,
            filter: (p) => {
              if (step.from) return true;
              const rel = relative(context, p);
              if (rel === "") return true;
              if (ignored(rel)) {
                // A folder stays walkable when a later `!` pattern may re-include something in it.
                return statSync(p).isDirectory();
              }
              return true;
            },
          });
          if (step.chown) {
            const { uid, gid } = parseUser(step.chown);
            chownTree(target, uid, gid);
          }
        }
        console.log(
          `COPY ${step.from ? `--from=${step.from} ` : ""}${step.sources.join(" ")} → ${destAbs}`,
        );
        continue;
      }
      if (step.op === "RUN") {
        // Only relative paths can be mapped into the stage's folder.
        if (/(^|[\s=])\/(?!\/)/.test(step.command))
          throw new Error(`Dockerfile:${step.line}: RUN uses an absolute path; cannot replay it`);
        console.log(`RUN ${step.command}`);
        run("/bin/sh", ["-c", step.command], {
          cwd: into(root, workdir),
          env: { ...process.env, ...stage.env, npm_config_prefer_offline: "true" },
        });
      }
    }
  }
  return roots;
}

function sizeOf(path) {
  const out = spawnSync("du", ["-sk", path], { encoding: "utf8" });
  return Number.parseInt(out.stdout, 10) * 1024;
}

function inNetns(pid, args, options = {}) {
  return spawnSync("nsenter", ["-t", String(pid), "-n", "--", ...args], {
    encoding: "utf8",
    timeout: 15_000,
    ...options,
  });
}

const PROBE = `
const [port, kind] = process.argv.slice(1);
const net = await import("node:net");
if (kind === "tcp") {
  const s = net.connect(Number(port), "127.0.0.1");
  s.on("connect", () => { s.end(); process.exit(0); });
  s.on("error", (e) => { console.error(e.message); process.exit(1); });
} else {
  const r = await fetch("http://127.0.0.1:" + port + kind, kind === "/v1/detections" ? {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ detection_id: "image-check", severity: "high", category: "prompt_injection", action: "blocked" }),
  } : undefined);
  console.log(r.status, await r.text());
  process.exit(r.ok ? 0 : 1);
}`;

async function waitFor(what, fn, deadlineMs) {
  const end = Date.now() + deadlineMs;
  let last;
  while (Date.now() < end) {
    last = fn();
    if (last.status === 0) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not pass: ${last?.stderr || last?.stdout || "no output"}`);
}

async function start(parsed, roots, devOnly) {
  const final = parsed.stages.at(-1);
  const root = roots.get(final.name);
  const { uid, gid } = parseUser(final.user);
  if (uid === 0) throw new Error("the final stage runs as root");
  const major = /node:(\d+)/.exec(final.image)?.[1];
  if (major && process.versions.node.split(".")[0] !== major)
    throw new Error(`image is node ${major}, this machine runs ${process.versions.node}`);

  const appModules = join(root, final.workdir, "node_modules");
  const leaked = devOnly.filter((d) => existsSync(join(appModules, d)));
  if (leaked.length > 0) throw new Error(`dev dependencies in the image: ${leaked.join(", ")}`);
  for (const volume of final.volumes) {
    const st = statSync(join(root, volume));
    if (st.uid !== uid) throw new Error(`VOLUME ${volume} is not owned by ${uid}`);
  }
  console.log(
    `\nfinal stage: ${Math.round(sizeOf(root) / 1e6)} MB on top of ${final.image} (dev dependencies absent)`,
  );

  // The stage folders live under a private temp dir; the runtime user must be able to read them.
  for (let p = root; p !== dirname(p) && p.startsWith(tmpdir()); p = dirname(p))
    chmodSync(p, 0o755);

  // Absolute paths in ENV point into the image; map them into the stage folder.
  const env = { PATH: process.env.PATH, HOME: "/nonexistent" };
  for (const [k, v] of Object.entries(final.env))
    env[k] = v.startsWith("/") && existsSync(join(root, v)) ? join(root, v) : v;
  const argv = [...(final.entrypoint ?? []), ...(final.cmd ?? [])];
  const drop = ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--"];
  console.log(
    `start: ${argv.join(" ")} as ${uid}:${gid}, TRIPLINE_CONFIG=${final.env.TRIPLINE_CONFIG}`,
  );
  const child = spawn(
    "unshare",
    ["--net", "--", "/bin/sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...drop, ...argv],
    { cwd: join(root, final.workdir), env, stdio: ["ignore", "inherit", "inherit"] },
  );
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const alive = () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the process exited early (${child.exitCode ?? child.signalCode})`);
  };
  try {
    const hc = final.healthcheck;
    if (!hc) throw new Error("no HEALTHCHECK");
    await waitFor(
      `HEALTHCHECK ${hc.command.join(" ")}`,
      () => inNetns(child.pid, [...drop, ...hc.command], { cwd: join(root, final.workdir), env }),
      20_000,
    );
    console.log("HEALTHCHECK passes");
    for (const port of final.expose) {
      alive();
      const r = inNetns(child.pid, [
        "node",
        "--input-type=module",
        "-e",
        PROBE,
        String(port),
        "tcp",
      ]);
      if (r.status !== 0) throw new Error(`EXPOSE ${port}: nothing listens (${r.stderr.trim()})`);
      console.log(`EXPOSE ${port}: listening`);
    }
    for (const [port, path] of [
      [9464, "/readyz"],
      [8088, "/v1/detections"],
    ]) {
      alive();
      const r = inNetns(child.pid, [
        "node",
        "--input-type=module",
        "-e",
        PROBE,
        String(port),
        path,
      ]);
      if (r.status !== 0) throw new Error(`${path}: ${r.stdout.trim()} ${r.stderr.trim()}`);
      console.log(`${path}: ${r.stdout.trim()}`);
    }
  } finally {
    child.kill("SIGTERM");
  }
  const { code, signal } = await exited;
  if (code !== 0) throw new Error(`after SIGTERM the process exited ${code ?? signal}, not 0`);
  console.log("SIGTERM: stopped cleanly (exit 0)");
}

async function main() {
  const context = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const parsed = parseDockerfile(readFileSync(join(context, "Dockerfile"), "utf8"));
  // Packages the lock marks dev-only (a devDependency that a production one also needs is not).
  const lock = JSON.parse(readFileSync(join(context, "package-lock.json"), "utf8"));
  const devOnly = Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => entry.dev && /^node_modules\/[^/]+(\/[^/]+)?$/.test(path))
    .filter(([path]) => !path.slice("node_modules/".length).includes("/node_modules/"))
    .map(([path]) => path.slice("node_modules/".length));
  const work = mkdtempSync(join(tmpdir(), "tripline-image-"));
  try {
    const roots = build(context, parsed, work);
    await start(parsed, roots, devOnly);
    console.log("\nDockerfile check passed");
  } finally {
    if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`\nDockerfile check failed: ${error.message}`);
    process.exit(1);
  });
}
