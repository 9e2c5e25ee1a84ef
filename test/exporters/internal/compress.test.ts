import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { describeOptions } from "../../../src/cli/components.js";
import { Registry } from "../../../src/component/registry.js";
import { formatDiagnostic } from "../../../src/config/diagnostic.js";
import { loadConfig } from "../../../src/config/load.js";
import { datadogLogsConfigSchema } from "../../../src/exporters/datadog_logs/config.js";
import { datadogLogsFactory } from "../../../src/exporters/datadog_logs/factory.js";
import {
  createCompressor,
  gzipCompressor,
  SYNC_BELOW_BYTES,
} from "../../../src/exporters/internal/compress.js";
import { lokiConfigSchema } from "../../../src/exporters/loki/config.js";
import { lokiFactory } from "../../../src/exporters/loki/factory.js";
import { otlpHttpConfigSchema } from "../../../src/exporters/otlphttp/config.js";
import { otlpHttpExporterFactory } from "../../../src/exporters/otlphttp/factory.js";
import { detectionsFactory } from "../../../src/receivers/detections/factory.js";

/** A detection-like JSON body of about `bytes` bytes, compressible like the real ones. */
function body(bytes: number): Buffer {
  const items: string[] = [];
  for (let i = 0; items.join(",").length < bytes; i++) {
    items.push(
      JSON.stringify({
        "detection.id": `d-${i * 7919}`,
        "detection.severity": ["info", "low", "high"][i % 3],
        message: `prompt injection blocked on agent-${i % 13} (rule ${i * 31})`,
      }),
    );
  }
  return Buffer.from(`[${items.join(",")}]`);
}

const small = body(1024);
const large = body(64 * 1024);

describe("gzip compressor", () => {
  it("covers both paths: the small body is inline, the large one on the threadpool", () => {
    expect(small.length).toBeLessThan(SYNC_BELOW_BYTES);
    expect(large.length).toBeGreaterThan(SYNC_BELOW_BYTES);
  });

  it.each([
    ["no compression_params", undefined],
    ["an empty compression_params", {}],
    ["level -1", { level: -1 }],
    ["level 6", { level: 6 }],
  ])("with %s sends zlib's default bytes, as before the option existed", async (_, params) => {
    const gzip = createCompressor("gzip", params)!;
    expect(gzip.encoding).toBe("gzip");
    for (const input of [small, large]) {
      expect((await gzip.compress(input)).equals(gzipSync(input))).toBe(true);
    }
    expect((await gzip.compress(large.toString("latin1"))).equals(gzipSync(large))).toBe(true);
  });

  it.each([0, 1, 3, 9])("level %i gives zlib's bytes at that level", async (level) => {
    const gzip = gzipCompressor({ level });
    for (const input of [small, large]) {
      const out = await gzip.compress(input);
      expect(out.equals(gzipSync(input, { level }))).toBe(true);
      expect(gunzipSync(out).equals(input)).toBe(true);
    }
  });

  it("levels trade size for CPU: 1 is larger than 6, 9 no larger, 0 stores", async () => {
    const size = async (level: number) => (await gzipCompressor({ level }).compress(large)).length;
    const [stored, fastest, dflt, best] = await Promise.all([0, 1, 6, 9].map(size));
    expect(fastest).toBeGreaterThan(dflt!);
    expect(best).toBeLessThanOrEqual(dflt!);
    expect(stored).toBeGreaterThan(large.length);
  });

  it("level -2 is Huffman coding only (the Collector's HuffmanOnly)", async () => {
    const out = await gzipCompressor({ level: -2 }).compress(large);
    expect(out.equals(gzipSync(large, { strategy: constants.Z_HUFFMAN_ONLY }))).toBe(true);
    expect(out.length).toBeGreaterThan(gzipSync(large, { level: 1 }).length);
    expect(gunzipSync(out).equals(large)).toBe(true);
  });

  it("compression none has no compressor", () => {
    expect(createCompressor("none")).toBeUndefined();
    expect(createCompressor("none", {})).toBeUndefined();
  });
});

function issues(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: unknown[] } } },
  input: unknown,
): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return (result.error!.issues as { path: PropertyKey[]; message: string }[]).map(
    (i) => `${i.path.join(".")}: ${i.message}`,
  );
}

const exporters = [
  ["otlphttp", otlpHttpConfigSchema, { endpoint: "http://collector:4318" }],
  ["datadog_logs", datadogLogsConfigSchema, { api_key: "k" }],
  ["loki (encoding json)", lokiConfigSchema, { endpoint: "http://loki:3100", encoding: "json" }],
] as const;

describe.each(exporters)("%s compression_params", (_, schema, base) => {
  it.each([-2, -1, 0, 1, 5, 9])("accepts gzip level %i", (level) => {
    expect(issues(schema, { ...base, compression_params: { level } })).toEqual([]);
    expect(schema.parse({ ...base, compression_params: { level } }).compression_params).toEqual({
      level,
    });
  });

  it("leaves the level unset by default", () => {
    expect(schema.parse(base).compression_params).toBeUndefined();
  });

  it.each([-3, 10, 22])("refuses gzip level %i at compression_params.level", (level) => {
    expect(issues(schema, { ...base, compression_params: { level } })).toEqual([
      `compression_params.level: expected a gzip level: 1 (fastest) to 9 (smallest), 0 stored, -1 default (6), -2 Huffman only (got ${level})`,
    ]);
  });

  it("refuses a fractional level and an unknown parameter", () => {
    expect(issues(schema, { ...base, compression_params: { level: 1.5 } })).toEqual([
      expect.stringMatching(/^compression_params\.level: .*int/),
    ]);
    expect(issues(schema, { ...base, compression_params: { lvl: 1 } })).toEqual([
      expect.stringMatching(/^compression_params: .*"lvl"/),
    ]);
  });
});

describe("a level where nothing takes one", () => {
  it.each([
    ["otlphttp", otlpHttpConfigSchema, { endpoint: "http://collector:4318" }],
    ["datadog_logs", datadogLogsConfigSchema, { api_key: "k" }],
  ] as const)("%s refuses a level with compression none", (_, schema, base) => {
    const config = { ...base, compression: "none", compression_params: { level: 1 } };
    expect(issues(schema, config)).toEqual([
      "compression_params.level: compression none compresses nothing, so it takes no level; remove compression_params or use compression: gzip",
    ]);
    expect(issues(schema, { ...base, compression: "none", compression_params: {} })).toEqual([]);
  });

  it("loki refuses a level with encoding protobuf, which is snappy", () => {
    expect(
      issues(lokiConfigSchema, { endpoint: "http://loki:3100", compression_params: { level: 1 } }),
    ).toEqual([
      "compression_params.level: encoding protobuf compresses with snappy, which has no level; remove compression_params",
    ]);
  });
});

describe("compression_params in a config file", () => {
  it("is reported with file:line:col and the key path, for each exporter at once", () => {
    const dir = mkdtempSync(join(tmpdir(), "tripline-compress-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      [
        "receivers:",
        "  detections:",
        "exporters:",
        "  otlphttp:",
        "    endpoint: http://collector:4318",
        "    compression: none",
        "    compression_params: { level: 3 }",
        "  datadog_logs:",
        "    api_key: k",
        "    compression_params:",
        "      level: 11",
        "  loki:",
        "    endpoint: http://loki:3100",
        "    compression_params: { level: 1 }",
        "service:",
        "  pipelines:",
        "    logs: { receivers: [detections], exporters: [otlphttp, datadog_logs, loki] }",
        "",
      ].join("\n"),
    );
    const registry = new Registry([
      detectionsFactory,
      otlpHttpExporterFactory,
      datadogLogsFactory,
      lokiFactory,
    ]);
    const result = loadConfig([file], registry, {});
    expect(result.config).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        /config\.yaml:7:\d+ exporters\.otlphttp\.compression_params\.level: compression none compresses nothing/,
      ),
      expect.stringMatching(
        /config\.yaml:11:\d+ exporters\.datadog_logs\.compression_params\.level: expected a gzip level: .*\(got 11\)$/,
      ),
      expect.stringMatching(
        /config\.yaml:14:\d+ exporters\.loki\.compression_params\.level: encoding protobuf compresses with snappy/,
      ),
    ]);
  });

  it("documents compression_params.level for `tripline components`", () => {
    for (const factory of [otlpHttpExporterFactory, datadogLogsFactory, lokiFactory]) {
      const level = describeOptions(factory).find((o) => o.name === "compression_params.level");
      expect(level).toMatchObject({ type: "integer", required: false });
      expect(level?.description).toMatch(/1 \(fastest\) to 9 \(smallest\)/);
    }
  });
});
