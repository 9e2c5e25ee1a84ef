import { describe, expect, it } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { PermanentError } from "../../../src/component/errors.js";
import { Registry } from "../../../src/component/registry.js";
import { formatDiagnostic } from "../../../src/config/diagnostic.js";
import { loadSource } from "../../../src/config/source.js";
import { validateConfig } from "../../../src/config/validate.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import { filterConfigSchema } from "../../../src/processors/filter/config.js";
import { filterFactory } from "../../../src/processors/filter/factory.js";
import { levelOfNumber } from "../../../src/processors/filter/severity.js";
import { processorContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";

class Sink implements Consumer<unknown> {
  readonly batches: LogBatch[] = [];
  async consume(batch: unknown): Promise<void> {
    this.batches.push(batch as LogBatch);
  }
}

function setup(config: Record<string, unknown>) {
  const sink = new Sink();
  const ctx = processorContext("filter", "logs", "logs");
  const processor = filterFactory.create(ctx, filterConfigSchema.parse(config), sink);
  return { sink, ctx, processor };
}

function detection(severity: string | undefined, action: string, id: string): LogRecord {
  const attributes: LogRecord["attributes"] = { "detection.id": id, "detection.action": action };
  if (severity !== undefined) attributes["detection.severity"] = severity;
  return logRecord({ attributes, severityNumber: 0 });
}

const ids = (batch: LogBatch | undefined) => (batch ?? []).map((r) => r.attributes["detection.id"]);

describe("filter config", () => {
  it("defaults to propagate and no conditions", () => {
    expect(filterConfigSchema.parse({})).toEqual({
      error_mode: "propagate",
      logs: { log_record: [] },
      log_conditions: [],
      except: [],
    });
  });

  it("documents every option", () => {
    const shape = filterConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });

  it("reports an invalid condition at its list index with the parse error", () => {
    const result = filterConfigSchema.safeParse({
      logs: { log_record: ['attributes["a"] == "x"', 'attributes["b"] == "y")'] },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.path).toEqual(["logs", "log_record", 1]);
    expect(result.error?.issues[0]?.message).toBe(
      'invalid OTTL condition: unexpected token ")" at column 23',
    );
  });

  it("points validate at the file, line and column of the bad list item", () => {
    const text = [
      "processors:",
      "  filter/noise:",
      "    min_severity: high",
      "    except:",
      '      - attributes["detection.action"] != "blocked"',
      '      - IsMatch(body, "(")',
      "service:",
      "  pipelines: {}",
      "",
    ].join("\n");
    const source = loadSource("/cfg/filter.yaml", {}, text);
    const { diagnostics } = validateConfig(
      source.value as Record<string, unknown>,
      source.locations,
      new Registry([filterFactory]),
    );
    const lines = diagnostics.map(formatDiagnostic);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\/cfg\/filter\.yaml:6:9 processors\.filter\/noise\.except\[1\]: invalid OTTL condition: argument 2 \(pattern\) of IsMatch: invalid regex: .* at column 15/,
    );
  });

  it("rejects except without min_severity, and unknown levels", () => {
    const noMin = filterConfigSchema.safeParse({ except: ["true"] });
    expect(noMin.error?.issues[0]?.path).toEqual(["except"]);
    expect(filterConfigSchema.safeParse({ min_severity: "severe" }).success).toBe(false);
    expect(filterConfigSchema.safeParse({ logs: { log_records: [] } }).success).toBe(false);
  });
});

describe("filter processor", () => {
  it("drops records matching any condition and counts them through telemetry", async () => {
    const { sink, ctx, processor } = setup({
      logs: {
        log_record: [
          'attributes["detection.action"] == "allowed"',
          'IsMatch(attributes["detection.id"], "^test-")',
        ],
      },
    });
    await processor.consume([
      detection("high", "blocked", "a"),
      detection("high", "allowed", "b"),
      detection("low", "blocked", "test-c"),
      detection("low", "redacted", "d"),
    ]);
    expect(ids(sink.batches[0])).toEqual(["a", "d"]);
    expect(ctx.telemetry.get("processor/logs/filter/incoming")).toBe(4);
    expect(ctx.telemetry.get("processor/logs/filter/outgoing")).toBe(2);
  });

  it("applies the flat log_conditions form with the log. prefix too", async () => {
    const { sink, processor } = setup({
      log_conditions: ['log.attributes["detection.action"] == "observed"'],
    });
    await processor.consume([detection("low", "observed", "a"), detection("low", "blocked", "b")]);
    expect(ids(sink.batches[0])).toEqual(["b"]);
  });

  it("keeps the original records, unchanged and in order", async () => {
    const { sink, processor } = setup({ logs: { log_record: ["false"] } });
    const batch = [detection("high", "blocked", "a"), detection("low", "allowed", "b")];
    await processor.consume(batch);
    expect(sink.batches[0]).toEqual(batch);
    expect(sink.batches[0]?.[0]).toBe(batch[0]);
  });

  it("answers at once without forwarding when every record is dropped", async () => {
    const { sink, ctx, processor } = setup({ logs: { log_record: ["true"] } });
    await processor.consume([detection("high", "blocked", "a")]);
    expect(sink.batches).toHaveLength(0);
    expect(ctx.telemetry.get("processor/logs/filter/outgoing")).toBe(0);
  });

  it("passes downstream errors back unchanged", async () => {
    const refused = new PermanentError("backend says no");
    const ctx = processorContext("filter");
    const processor = filterFactory.create(ctx, filterConfigSchema.parse({}), {
      consume: () => Promise.reject(refused),
    });
    await expect(processor.consume([detection("high", "blocked", "a")])).rejects.toBe(refused);
  });

  it("expresses the seed rule: high and above, plus anything that was not blocked", async () => {
    const { sink, processor } = setup({
      min_severity: "high",
      except: ['attributes["detection.action"] != "blocked"'],
    });
    await processor.consume([
      detection("critical", "blocked", "critical-blocked"),
      detection("high", "blocked", "high-blocked"),
      detection("medium", "blocked", "medium-blocked"),
      detection("medium", "allowed", "medium-allowed"),
      detection("low", "observed", "low-observed"),
      detection("info", "blocked", "info-blocked"),
      detection("HIGH", "blocked", "upper-case-level"),
    ]);
    expect(ids(sink.batches[0])).toEqual([
      "critical-blocked",
      "high-blocked",
      "medium-allowed",
      "low-observed",
      "upper-case-level",
    ]);
  });

  it.each([
    // [detection.severity attribute, severityNumber, kept at min_severity: medium]
    [undefined, 21, true],
    [undefined, 17, true],
    [undefined, 14, true],
    [undefined, 13, false],
    [undefined, 9, false],
    [undefined, 0, true], // no level at all: kept, never guessed away
    ["unknown-word", 9, false], // an unreadable attribute falls back to the number
    ["critical", 1, true], // the attribute wins over the number
    ["info", 24, false],
  ])(
    "min_severity reads detection.severity=%s, severity_number=%s → kept %s",
    async (severity, number, kept) => {
      const { sink, processor } = setup({ min_severity: "medium" });
      const record = detection(severity, "blocked", "x");
      record.severityNumber = number;
      await processor.consume([record]);
      expect(sink.batches.length).toBe(kept ? 1 : 0);
    },
  );

  it("maps the detection-model severity numbers onto their levels", () => {
    expect([9, 13, 14, 17, 21].map(levelOfNumber)).toEqual([0, 1, 2, 3, 4]);
    expect([0, 25, 1.5].map(levelOfNumber)).toEqual([undefined, undefined, undefined]);
  });

  describe("error_mode", () => {
    const failing = 'ToLowerCase(attributes["n"]) == "x"';
    const batch = () => [
      logRecord({ attributes: { n: 1, "detection.id": "number" } }),
      logRecord({ attributes: { n: "X", "detection.id": "string" } }),
    ];

    it("propagate rejects the whole batch with a PermanentError naming the condition", async () => {
      const { sink, processor } = setup({ logs: { log_record: [failing] } });
      const result = processor.consume(batch());
      await expect(result).rejects.toBeInstanceOf(PermanentError);
      await expect(result).rejects.toThrow(
        /condition `ToLowerCase\(attributes\["n"\]\) == "x"` failed: ToLowerCase expects a string, got int 1/,
      );
      expect(sink.batches).toHaveLength(0);
    });

    it("ignore keeps the failing record, logs, and filters the rest", async () => {
      const { sink, ctx, processor } = setup({
        error_mode: "ignore",
        logs: { log_record: [failing] },
      });
      const warnings: unknown[] = [];
      ctx.logger.warn = ((obj: unknown) => warnings.push(obj)) as typeof ctx.logger.warn;
      await processor.consume(batch());
      expect(ids(sink.batches[0])).toEqual(["number"]);
      expect(warnings).toHaveLength(1);
    });

    it("silent keeps the failing record without logging", async () => {
      const { sink, ctx, processor } = setup({
        error_mode: "silent",
        logs: { log_record: [failing] },
      });
      const warnings: unknown[] = [];
      ctx.logger.warn = ((obj: unknown) => warnings.push(obj)) as typeof ctx.logger.warn;
      await processor.consume(batch());
      expect(ids(sink.batches[0])).toEqual(["number"]);
      expect(warnings).toHaveLength(0);
    });
  });
});
