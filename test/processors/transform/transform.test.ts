import { describe, expect, it } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { PermanentError } from "../../../src/component/errors.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import { EMPTY_RESOURCE, type Resource } from "../../../src/pdata/resource.js";
import { transformConfigSchema } from "../../../src/processors/transform/config.js";
import { transformFactory } from "../../../src/processors/transform/factory.js";
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
  const ctx = processorContext("transform", "logs", "logs");
  const processor = transformFactory.create(ctx, transformConfigSchema.parse(config), sink);
  return { sink, ctx, processor };
}

const detection = (attributes: LogRecord["attributes"], resource?: Resource) =>
  logRecord({ attributes, ...(resource ? { resource } : {}) });

describe("transform config", () => {
  it("accepts the flat form and groups, and defaults", () => {
    const parsed = transformConfigSchema.parse({
      log_statements: ['set(attributes["a"], 1)', { statements: ['set(attributes["b"], 2)'] }],
    });
    expect(parsed).toEqual({
      error_mode: "propagate",
      log_statements: [
        'set(attributes["a"], 1)',
        { context: "log", conditions: [], statements: ['set(attributes["b"], 2)'] },
      ],
    });
  });

  it("reports a bad statement or condition at its exact index", () => {
    const result = transformConfigSchema.safeParse({
      log_statements: [
        'set(attributes["a"] 1)',
        { conditions: ["true", "x =="], statements: ['set(attributes["a"], 1)', "nope(x)"] },
      ],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [
        ["log_statements", 0],
        'invalid OTTL statement: expected ")" to close the argument list but found token "1" at column 21',
      ],
      [
        ["log_statements", 1, "conditions", 1],
        "invalid OTTL condition: expected a value but found end of input at column 5",
      ],
      [
        ["log_statements", 1, "statements", 1],
        'invalid OTTL statement: unknown editor "nope"; known editors: set, delete_key, delete_matching_keys, keep_keys, truncate_all, limit, replace_pattern, replace_all_patterns at column 1',
      ],
    ]);
  });

  it("rejects unknown contexts and empty groups", () => {
    expect(
      transformConfigSchema.safeParse({ log_statements: [{ context: "span", statements: ["x"] }] })
        .success,
    ).toBe(false);
    expect(transformConfigSchema.safeParse({ log_statements: [{ statements: [] }] }).success).toBe(
      false,
    );
  });

  it("documents every option", () => {
    const shape = transformConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });
});

describe("transform processor", () => {
  it("runs flat statements in order, on every record, and forwards the batch", async () => {
    const { sink, ctx, processor } = setup({
      log_statements: [
        'set(attributes["team"], "secops")',
        'set(attributes["label"], Concat([attributes["team"], attributes["detection.severity"]], "/"))',
        'delete_key(attributes, "secret") where attributes["detection.severity"] == "high"',
      ],
    });
    expect(processor.mutatesData).toBe(true);
    const batch = [
      detection({ "detection.severity": "high", secret: "s" }),
      detection({ "detection.severity": "low", secret: "s" }),
    ];
    await processor.consume(batch);
    expect(sink.batches[0]).toBe(batch);
    expect(batch.map((r) => r.attributes)).toEqual([
      { "detection.severity": "high", team: "secops", label: "secops/high" },
      { "detection.severity": "low", team: "secops", label: "secops/low", secret: "s" },
    ]);
    expect(ctx.telemetry.get("processor/logs/transform/incoming")).toBe(2);
    expect(ctx.telemetry.get("processor/logs/transform/outgoing")).toBe(2);
  });

  it("runs a group's statements only on records matching one of its conditions", async () => {
    const { processor } = setup({
      log_statements: [
        {
          context: "log",
          conditions: ['attributes["detection.action"] == "allowed"', 'attributes["x"] == 1'],
          statements: [
            "set(severity_number, SEVERITY_NUMBER_FATAL)",
            'set(severity_text, "critical")',
          ],
        },
      ],
    });
    const batch = [
      detection({ "detection.action": "allowed" }),
      detection({ "detection.action": "blocked" }),
      detection({ x: 1 }),
    ];
    await processor.consume(batch);
    expect(batch.map((r) => [r.severityNumber, r.severityText])).toEqual([
      [21, "critical"],
      [17, "high"],
      [21, "critical"],
    ]);
  });

  it("copies a shared resource before writing it, once per original", async () => {
    const { processor } = setup({ log_statements: ['set(resource.attributes["env"], "prod")'] });
    const shared: Resource = { attributes: { "service.name": "a" } };
    const batch = [detection({}, shared), detection({}, shared), detection({}, EMPTY_RESOURCE)];
    await processor.consume(batch);
    expect(shared.attributes).toEqual({ "service.name": "a" });
    expect(EMPTY_RESOURCE.attributes).toEqual({});
    expect(batch[0]!.resource).toBe(batch[1]!.resource);
    expect(batch[0]!.resource).not.toBe(shared);
    expect(batch[0]!.resource.attributes).toEqual({ "service.name": "a", env: "prod" });
    expect(batch[2]!.resource.attributes).toEqual({ env: "prod" });
  });

  it("leaves resources alone when no statement writes them", async () => {
    const { processor } = setup({
      log_statements: ['set(attributes["x"], resource.attributes["service.name"])'],
    });
    const shared: Resource = { attributes: { "service.name": "a" } };
    const batch = [detection({}, shared)];
    await processor.consume(batch);
    expect(batch[0]!.resource).toBe(shared);
    expect(batch[0]!.attributes.x).toBe("a");
  });

  describe("error_mode", () => {
    const statements = [
      'set(attributes["lower"], ToLowerCase(attributes["v"]))',
      'set(attributes["after"], true)',
    ];
    const batch = () => [detection({ v: 1 }), detection({ v: "A" })];

    it("propagate rejects the batch with a PermanentError naming the statement", async () => {
      const { sink, processor } = setup({ log_statements: statements });
      const result = processor.consume(batch());
      await expect(result).rejects.toBeInstanceOf(PermanentError);
      await expect(result).rejects.toThrow(
        /`set\(attributes\["lower"\], ToLowerCase\(attributes\["v"\]\)\)` failed: ToLowerCase expects a string, got int 1/,
      );
      expect(sink.batches).toHaveLength(0);
    });

    it("ignore skips the failing statement, logs, and runs the rest", async () => {
      const { sink, ctx, processor } = setup({ error_mode: "ignore", log_statements: statements });
      const warnings: unknown[] = [];
      ctx.logger.warn = ((obj: unknown) => warnings.push(obj)) as typeof ctx.logger.warn;
      await processor.consume(batch());
      expect(sink.batches[0]!.map((r) => r.attributes)).toEqual([
        { v: 1, after: true },
        { v: "A", lower: "a", after: true },
      ]);
      expect(warnings).toHaveLength(1);
    });

    it("a group's own error_mode overrides the processor's", async () => {
      const { sink, ctx, processor } = setup({
        error_mode: "propagate",
        log_statements: [{ statements, error_mode: "silent" }],
      });
      const warnings: unknown[] = [];
      ctx.logger.warn = ((obj: unknown) => warnings.push(obj)) as typeof ctx.logger.warn;
      await processor.consume(batch());
      expect(sink.batches).toHaveLength(1);
      expect(warnings).toHaveLength(0);
    });

    it("a failing group condition counts as not matching unless errors propagate", async () => {
      const config = {
        conditions: ['ToLowerCase(attributes["v"]) == "a"'],
        statements: ['set(attributes["hit"], true)'],
      };
      const ignoring = setup({ error_mode: "ignore", log_statements: [config] });
      const records = batch();
      await ignoring.processor.consume(records);
      expect(records.map((r) => r.attributes.hit)).toEqual([undefined, true]);
      const propagating = setup({ log_statements: [config] });
      await expect(propagating.processor.consume(batch())).rejects.toBeInstanceOf(PermanentError);
    });
  });
});
