// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${env:…} and ${file:…} are config text here
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../src/components.js";
import {
  type Diagnostic,
  formatDiagnostic,
  type PathSegment,
} from "../../src/config/diagnostic.js";
import { loadConfig } from "../../src/config/load.js";
import { mergeValues } from "../../src/config/merge.js";
import { loadSource, pathKey } from "../../src/config/source.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(join(tmpdir(), "tripline-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes a config file into the temp folder and returns its path. */
function write(text: string, name = `config-${++counter}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** loadSource on in-memory text; the file name only matters for ${file:} and locations. */
function source(text: string, env: NodeJS.ProcessEnv = {}) {
  return loadSource(join(dir, "inline.yaml"), env, text);
}

const messages = (diagnostics: Diagnostic[]) => diagnostics.map(formatDiagnostic);

/** A valid config around the given component sections. */
const pipeline = `
service:
  pipelines:
    logs:
      receivers: [detections]
      exporters: [debug]
`;

describe("references", () => {
  it("expands ${env:NAME} and types a plain scalar that is exactly one reference", () => {
    const { value, diagnostics } = source(
      [
        "port: ${env:PORT}",
        'quoted: "${env:PORT}"',
        "partial: localhost:${env:PORT}",
        "flag: ${env:FLAG}",
        "name: ${env:NAME}",
      ].join("\n"),
      { PORT: "8088", FLAG: "true", NAME: "alerts" },
    );
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({
      port: 8088,
      quoted: "8088",
      partial: "localhost:8088",
      flag: true,
      name: "alerts",
    });
  });

  it("keeps a value that is not a clean YAML scalar as a string, without printing it", () => {
    // `!x` would be a YAML tag and `%x` a directive: the yaml parser warns about both, and
    // its warning would print the (secret) value to stderr.
    const { value, diagnostics } = source("a: ${env:A}\nb: ${env:B}\nc: ${env:C}", {
      A: "!hunter2 x",
      B: "%hunter2",
      C: "k: v",
    });
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({ a: "!hunter2 x", b: "%hunter2", c: "k: v" });
  });

  it("uses the default only when the variable is unset, not when it is set but empty", () => {
    const { value, diagnostics } = source(
      "unset: ${env:UNSET:-localhost:9000}\nempty: ${env:EMPTY:-fallback}\nnone: ${env:UNSET:-}",
      { EMPTY: "" },
    );
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({ unset: "localhost:9000", empty: "", none: "" });
  });

  it("treats $$ as an escaped $", () => {
    const { value, diagnostics, locations } = source(
      "literal: $${env:NOT_EXPANDED}\nprice: cost $$5\nmixed: $$${env:X}",
      { X: "x" },
    );
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({ literal: "${env:NOT_EXPANDED}", price: "cost $5", mixed: "$x" });
    expect(locations.values.get(pathKey(["literal"]))?.reference).toBeUndefined();
    expect(locations.values.get(pathKey(["mixed"]))?.reference).toBe("${env:X}");
  });

  it("reads ${file:PATH} relative to the config file and drops one trailing newline", () => {
    // Quoted, the content is kept as is (less one newline); unquoted, it is read as YAML.
    const sub = mkdtempSync(join(dir, "secrets-"));
    writeFileSync(join(sub, "token"), "s3cret\n");
    writeFileSync(join(sub, "two-newlines"), "line\n\n");
    writeFileSync(join(sub, "crlf"), "windows\r\n");
    const file = join(sub, "config.yaml");
    writeFileSync(
      file,
      'token: ${file:token}\ntwo: "${file:./two-newlines}"\ncrlf: ${file:crlf}\nabs: ${file:' +
        join(sub, "token") +
        "}\n",
    );
    const { value, diagnostics, locations } = loadSource(file, {});
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({ token: "s3cret", two: "line\n", crlf: "windows", abs: "s3cret" });
    expect(locations.values.get(pathKey(["token"]))).toEqual({
      file,
      line: 1,
      col: 8,
      reference: "${file:token}",
    });
  });

  it("names a missing variable, never a value, and points at the reference", () => {
    const { diagnostics } = source("a:\n  b: ${env:MISSING_VAR}\n  c: ${env:SECRET}", {
      SECRET: "hunter2",
    });
    expect(diagnostics).toEqual([
      {
        severity: "error",
        location: { file: join(dir, "inline.yaml"), line: 2, col: 6 },
        path: ["a", "b"],
        message:
          'environment variable MISSING_VAR is not set (and ${env:MISSING_VAR} has no ":-default")',
      },
    ]);
  });

  it("reports bad references: no provider, unknown provider, bad name, unreadable file", () => {
    const { diagnostics } = source(
      "a: ${NAME}\nb: ${foo:bar}\nc: ${env:1X}\nd: ${file:nope.txt}\ne: ${}",
    );
    expect(diagnostics.map((d) => [d.path.join("."), d.message])).toEqual([
      ["a", '"${NAME}" has no provider: write "${env:NAME}"'],
      ["b", 'unknown provider "foo" in "${foo:bar}" (expected env or file)'],
      ["c", '"1X" is not a valid environment variable name'],
      ["d", 'cannot read "${file:nope.txt}" (ENOENT)'],
      ["e", '"${}" is not a valid reference (expected ${env:NAME} or ${file:PATH})'],
    ]);
  });

  it("never echoes a value from the environment in a validation error", () => {
    const file = write(
      `receivers:\n  detections:\nexporters:\n  debug:\n    verbosity: \${env:SECRET}\n${pipeline}`,
    );
    const result = loadConfig([file], registry, { SECRET: "hunter2" });
    expect(result.config).toBeUndefined();
    const text = messages(result.diagnostics).join("\n");
    expect(text).toContain("(got the value of ${env:SECRET})");
    expect(text).not.toContain("hunter2");
  });

  it("does not report a schema error on a key whose reference already failed", () => {
    const file = write(
      `receivers:\n  detections:\n    endpoint: \${env:MISSING_VAR}\nexporters:\n  debug:\n${pipeline}`,
    );
    const result = loadConfig([file], registry, {});
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      'environment variable MISSING_VAR is not set (and ${env:MISSING_VAR} has no ":-default")',
    ]);
  });
});

describe("YAML anchors and merge keys", () => {
  it("merges `<<` sources with own keys winning, earlier sources before later ones", () => {
    const { value, diagnostics } = source(
      [
        "base: &base {a: 1, b: 1, c: 1}",
        "more: &more {b: 2, d: 2}",
        "one:",
        "  <<: *base",
        "  c: own",
        "many:",
        "  c: own",
        "  <<: [*more, *base]",
        "alias: *more",
      ].join("\n"),
    );
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({
      base: { a: 1, b: 1, c: 1 },
      more: { b: 2, d: 2 },
      one: { a: 1, b: 1, c: "own" },
      many: { c: "own", b: 2, d: 2, a: 1 },
      alias: { b: 2, d: 2 },
    });
  });

  it("locates an overriding own key at its own line, not at the merged value", () => {
    const text = [
      "exporters:",
      "  debug: &d",
      "    verbosity: ${env:SECRET}",
      "  debug/2:",
      "    <<: *d",
      "    verbosity: loud",
    ].join("\n");
    const { value, locations, diagnostics } = source(text, { SECRET: "basic" });
    expect(diagnostics).toEqual([]);
    expect(value).toEqual({
      exporters: { debug: { verbosity: "basic" }, "debug/2": { verbosity: "loud" } },
    });
    expect(locations.values.get(pathKey(["exporters", "debug/2", "verbosity"]))).toEqual({
      file: join(dir, "inline.yaml"),
      line: 6,
      col: 16,
    });
  });

  it("validates merged components like written-out ones", () => {
    const file = write(
      [
        "receivers:",
        "  detections:",
        "exporters:",
        "  debug: &debug",
        "    verbosity: detailed",
        "  debug/2:",
        "    <<: *debug",
        "  debug/3:",
        "    <<: *debug",
        "    verbosity: loud",
        pipeline,
      ].join("\n"),
    );
    const result = loadConfig([file], registry, {});
    expect(messages(result.diagnostics)).toEqual([
      `${file}:10:16 exporters.debug/3.verbosity: expected one of "basic", "normal", "detailed" (got "loud")`,
    ]);
  });

  it("rejects a merge key whose value is not a mapping", () => {
    const { diagnostics } = source("a:\n  <<: 5\n  b: 1");
    expect(messages(diagnostics)).toEqual([
      `${join(dir, "inline.yaml")}:2:7 a: the merge key "<<" takes a mapping or an alias of one (<<: *name), or a list of them`,
    ]);
  });

  it("reports a recursive alias instead of overflowing the stack", () => {
    const { diagnostics } = source("a: &a\n  b: *a\nc: &c\n  <<: *c\n");
    expect(diagnostics.map((d) => [d.path.join("."), d.message])).toEqual([
      ["a.b", "alias *a is used inside the node it refers to (a recursive alias)"],
      ["c", "alias *c is used inside the node it refers to (a recursive alias)"],
    ]);
  });
});

describe("YAML errors", () => {
  it("reports every duplicate key with its path, and keeps validating the rest", () => {
    const file = write(
      [
        "receivers:",
        "  detections:",
        "    endpoint: localhost:8088",
        "    endpoint: localhost:8089",
        "exporters:",
        "  debug:",
        "    verbosity: loud",
        pipeline,
      ].join("\n"),
    );
    const result = loadConfig([file], registry, {});
    expect(messages(result.diagnostics)).toEqual([
      `${file}:4:5 receivers.detections.endpoint: duplicate key "endpoint" (first at line 3)`,
      `${file}:7:16 exporters.debug.verbosity: expected one of "basic", "normal", "detailed" (got "loud")`,
    ]);
  });

  it("does not count two merge keys in one mapping as duplicates", () => {
    const { diagnostics, value } = source("x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: *x\n  <<: *y\n");
    expect(diagnostics).toEqual([]);
    expect(value.z).toEqual({ a: 1, b: 2 });
  });

  it("reports broken YAML with line and column and stops there", () => {
    const { diagnostics, value } = source("a:\n  b: 1\n c: 2\n");
    expect(value).toEqual({});
    expect(messages(diagnostics)).toEqual([
      `${join(dir, "inline.yaml")}:3:1 invalid YAML: All mapping items must start at the same column`,
    ]);
  });

  it("rejects a top level that is not a mapping", () => {
    const { diagnostics } = source("- a\n- b\n");
    expect(diagnostics.map((d) => d.message)).toEqual([
      "expected a mapping with receivers, processors, exporters and service at the top level",
    ]);
  });

  it("reports an unreadable config file and a missing -c", () => {
    const missing = join(dir, "does-not-exist.yaml");
    expect(messages(loadConfig([missing], registry, {}).diagnostics)).toEqual([
      `cannot read config file ${missing} (ENOENT)`,
    ]);
    expect(messages(loadConfig([], registry, {}).diagnostics)).toEqual([
      "no config file given (use -c FILE or TRIPLINE_CONFIG)",
    ]);
  });
});

describe("several files", () => {
  it("merges mappings and replaces lists, like the Collector's --config a --config b", () => {
    expect(
      mergeValues(
        { a: { x: 1, y: [1, 2] }, keep: true, list: [1, 2, 3] },
        { a: { y: [3], z: 2 }, list: [] },
      ),
    ).toEqual({ a: { x: 1, y: [3], z: 2 }, keep: true, list: [] });
    expect(mergeValues({ a: { x: 1 } }, { a: null })).toEqual({ a: null });
    expect(mergeValues({ a: 1 }, { a: { x: 1 } })).toEqual({ a: { x: 1 } });
  });

  it("loads the merge of two files; the later file's values and locations win", () => {
    const base = write(
      [
        "receivers:",
        "  detections:",
        "processors:",
        "  batch:",
        "    send_batch_size: 100",
        "exporters:",
        "  debug:",
        "    verbosity: basic",
        "  file:",
        "    path: ./out.jsonl",
        "service:",
        "  pipelines:",
        "    logs:",
        "      receivers: [detections]",
        "      processors: [batch]",
        "      exporters: [debug, file]",
      ].join("\n"),
    );
    const override = write(
      [
        "processors:",
        "  batch:",
        "    timeout: 1s",
        "exporters:",
        "  debug:",
        "    verbosity: detailed",
        "service:",
        "  pipelines:",
        "    logs:",
        "      exporters: [debug]",
      ].join("\n"),
    );
    const result = loadConfig([base, override], registry, {});
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const config = result.config!;
    expect(config.components.processor.get("batch")?.config).toEqual({
      send_batch_size: 100,
      timeout: 1000,
      send_batch_max_size: 0,
    });
    expect(config.components.exporter.get("debug")?.config).toEqual({ verbosity: "detailed" });
    expect(config.pipelines.get("logs")).toEqual({
      id: "logs",
      signal: "logs",
      receivers: ["detections"],
      processors: ["batch"],
      exporters: ["debug"],
    });
    const at = (path: PathSegment[]) => config.locations.values.get(pathKey(path));
    expect(at(["exporters", "debug", "verbosity"])).toEqual({ file: override, line: 6, col: 16 });
    expect(at(["processors", "batch", "send_batch_size"])).toEqual({
      file: base,
      line: 5,
      col: 22,
    });
    expect(at(["service", "pipelines", "logs", "exporters", 0])).toEqual({
      file: override,
      line: 10,
      col: 19,
    });
    expect(result.configDir).toBe(dir);
  });

  it("reports errors from every file, in file order, then by line", () => {
    const first = write(
      `receivers:\n  detections:\n    endpoint: nowhere\nexporters:\n  debug:\n${pipeline}`,
    );
    const second = write("processors:\n  batch:\n    send_batch_size: 0\n    timeout: soon\n");
    const result = loadConfig([second, first], registry, {});
    expect(messages(result.diagnostics)).toEqual([
      `${second}:3:22 processors.batch.send_batch_size: expected a number >= 1 (got 0)`,
      `${second}:4:14 processors.batch.timeout: expected a duration such as "200ms", "5s" or "1m" (got "soon")`,
      `${first}:3:15 receivers.detections.endpoint: expected "host:port" such as "localhost:8088" or "0.0.0.0:8088" (got "nowhere")`,
    ]);
  });

  it("lets a later file fix what an earlier file got wrong", () => {
    const broken = write(
      `receivers:\n  detections:\nexporters:\n  debug:\n    verbosity: loud\n${pipeline}`,
    );
    const fix = write("exporters:\n  debug:\n    verbosity: normal\n");
    const result = loadConfig([broken, fix], registry, {});
    expect(result.diagnostics).toEqual([]);
    expect(result.config?.components.exporter.get("debug")?.config).toEqual({
      verbosity: "normal",
    });
  });
});

describe("schemas", () => {
  it("fills defaults for every component and the service", () => {
    const file = write(
      `receivers:\n  detections:\nprocessors:\n  batch:\nexporters:\n  debug:\n${pipeline.replace("exporters:", "processors: [batch]\n      exporters:")}`,
    );
    const result = loadConfig([file], registry, {});
    expect(result.diagnostics).toEqual([]);
    const config = result.config!;
    expect(config.components.receiver.get("detections")).toMatchObject({
      id: "detections",
      type: "detections",
      kind: "receiver",
      config: {
        endpoint: "localhost:8088",
        path: "/v1/detections",
        max_request_body_size: 10 * 1024 * 1024,
      },
      location: { file, line: 2, col: 3 },
    });
    expect(config.components.processor.get("batch")?.config).toEqual({
      send_batch_size: 8192,
      timeout: 200,
      send_batch_max_size: 0,
    });
    expect(config.components.exporter.get("debug")?.config).toEqual({ verbosity: "basic" });
    expect(config.service).toEqual({
      telemetry: {
        logs: { level: "info" },
        metrics: { level: "normal", address: "localhost:9464" },
      },
      shutdownTimeoutMs: 30_000,
    });
  });

  it("takes a typed number from a whole reference", () => {
    const file = write(
      `receivers:\n  detections:\n    max_request_body_size: \${env:SIZE}\n    endpoint: localhost:\${env:PORT}\nexporters:\n  debug:\n${pipeline}`,
    );
    const result = loadConfig([file], registry, { SIZE: "1024", PORT: "9000" });
    expect(result.diagnostics).toEqual([]);
    expect(result.config?.components.receiver.get("detections")?.config).toMatchObject({
      max_request_body_size: 1024,
      endpoint: "localhost:9000",
    });
  });

  it("does not repeat 'is required' for a key offered as the fix of a misspelt one", () => {
    const file = write(
      `receivers:\n  detections:\nexporters:\n  debug:\n  file:\n    pth: out.jsonl\n${pipeline}`,
    );
    expect(messages(loadConfig([file], registry, {}).diagnostics)).toEqual([
      `${file}:6:5 exporters.file.pth: unknown key "pth" (did you mean "path"?); valid keys: path, rotation, format`,
    ]);
    const without = write(
      `receivers:\n  detections:\nexporters:\n  debug:\n  file:\n    format: json\n${pipeline}`,
    );
    expect(messages(loadConfig([without], registry, {}).diagnostics)).toEqual([
      `${without}:6:5 exporters.file.path: is required (expected a string)`,
    ]);
  });

  it("loads config.example.yaml without any diagnostic", () => {
    const file = join(root, "config.example.yaml");
    const result = loadConfig([file], registry, {});
    expect(result.diagnostics).toEqual([]);
    expect(result.config).toBeDefined();
    expect([...result.config!.pipelines.keys()]).toEqual(["logs"]);
    expect([...result.config!.components.exporter.keys()]).toEqual(["debug", "file"]);
    expect(result.configDir).toBe(root);
  });
});
