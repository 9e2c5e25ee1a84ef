import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { RetryableError } from "../../../src/component/errors.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Metric } from "../../../src/pdata/metrics.js";
import type { Attributes } from "../../../src/pdata/value.js";
import { attributesConfigSchema } from "../../../src/processors/attributes/config.js";
import { attributesFactory } from "../../../src/processors/attributes/factory.js";
import { processorContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";

class Sink implements Consumer<unknown> {
  readonly batches: unknown[][] = [];
  async consume(batch: unknown): Promise<void> {
    this.batches.push(batch as unknown[]);
  }
}

function run(actions: unknown[], attributes: Attributes): Promise<Attributes> {
  const sink = new Sink();
  const config = attributesConfigSchema.parse({ actions });
  const processor = attributesFactory.create(processorContext("attributes"), config, sink);
  const record = logRecord({ attributes });
  return processor.consume([record]).then(() => (sink.batches[0]![0] as LogRecord).attributes);
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("attributes actions", () => {
  const cases: {
    name: string;
    actions: unknown[];
    input: Attributes;
    want: Attributes;
  }[] = [
    {
      name: "insert adds a missing key",
      actions: [{ key: "env", action: "insert", value: "prod" }],
      input: { a: 1 },
      want: { a: 1, env: "prod" },
    },
    {
      name: "insert keeps an existing key",
      actions: [{ key: "env", action: "insert", value: "prod" }],
      input: { env: "dev" },
      want: { env: "dev" },
    },
    {
      name: "update changes an existing key",
      actions: [{ key: "env", action: "update", value: "prod" }],
      input: { env: "dev" },
      want: { env: "prod" },
    },
    {
      name: "update does not add a missing key",
      actions: [{ key: "env", action: "update", value: "prod" }],
      input: {},
      want: {},
    },
    {
      name: "upsert adds and changes",
      actions: [
        { key: "a", action: "upsert", value: true },
        { key: "b", action: "upsert", value: 2.5 },
      ],
      input: { a: false },
      want: { a: true, b: 2.5 },
    },
    {
      name: "from_attribute copies another attribute",
      actions: [{ key: "agent", action: "insert", from_attribute: "gen_ai.agent.id" }],
      input: { "gen_ai.agent.id": "support-bot" },
      want: { "gen_ai.agent.id": "support-bot", agent: "support-bot" },
    },
    {
      name: "from_attribute that is missing does nothing",
      actions: [{ key: "agent", action: "upsert", from_attribute: "nope" }],
      input: { x: 1 },
      want: { x: 1 },
    },
    {
      name: "default_value fills in for a missing from_attribute",
      actions: [
        { key: "region", action: "insert", from_attribute: "cloud.region", default_value: "eu" },
      ],
      input: {},
      want: { region: "eu" },
    },
    {
      name: "delete by key",
      actions: [{ key: "secret", action: "delete" }],
      input: { secret: "x", keep: 1 },
      want: { keep: 1 },
    },
    {
      name: "delete by pattern and key",
      actions: [{ key: "a", action: "delete", pattern: "^tmp\\." }],
      input: { a: 1, "tmp.x": 1, "tmp.y": 2, "x.tmp.": 3 },
      want: { "x.tmp.": 3 },
    },
    {
      name: "hash with SHA-256 hex, by key and pattern",
      actions: [{ key: "user.id", action: "hash", pattern: "email$" }],
      input: { "user.id": "u-1", "user.email": "a@b.c", n: 42 },
      want: { "user.id": sha("u-1"), "user.email": sha("a@b.c"), n: 42 },
    },
    {
      name: "hash of a number hashes its text",
      actions: [{ key: "n", action: "hash" }],
      input: { n: 42 },
      want: { n: sha("42") },
    },
    {
      name: "extract named groups, overwriting existing keys",
      actions: [
        {
          key: "url.path",
          action: "extract",
          pattern: "^/v1/(?<resource>\\w+)/(?P<resource_id>\\d+)$",
        },
      ],
      input: { "url.path": "/v1/orders/42", resource: "old" },
      want: { "url.path": "/v1/orders/42", resource: "orders", resource_id: "42" },
    },
    {
      name: "extract without a match does nothing",
      actions: [{ key: "p", action: "extract", pattern: "^(?<a>\\d+)$" }],
      input: { p: "abc" },
      want: { p: "abc" },
    },
    {
      name: "convert string to int",
      actions: [{ key: "code", action: "convert", converted_type: "int" }],
      input: { code: "503" },
      want: { code: 503 },
    },
    {
      name: "convert double to int truncates, bool to int is 0/1",
      actions: [
        { key: "a", action: "convert", converted_type: "int" },
        { key: "b", action: "convert", converted_type: "int" },
      ],
      input: { a: 3.9, b: true },
      want: { a: 3, b: 1 },
    },
    {
      name: "convert a big integer string keeps it exact",
      actions: [{ key: "a", action: "convert", converted_type: "int" }],
      input: { a: "9007199254740993" },
      want: { a: 9007199254740993n },
    },
    {
      name: "convert that cannot parse leaves the value",
      actions: [
        { key: "a", action: "convert", converted_type: "int" },
        { key: "b", action: "convert", converted_type: "double" },
      ],
      input: { a: "3.5x", b: "" },
      want: { a: "3.5x", b: "" },
    },
    {
      name: "convert to double and to string",
      actions: [
        { key: "a", action: "convert", converted_type: "double" },
        { key: "b", action: "convert", converted_type: "string" },
        { key: "c", action: "convert", converted_type: "string" },
      ],
      input: { a: "0.85", b: 17, c: ["x", 1] },
      want: { a: 0.85, b: "17", c: '["x",1]' },
    },
    {
      name: "rename moves the value",
      actions: [{ key: "agent_id", action: "rename", new_key: "gen_ai.agent.id" }],
      input: { agent_id: "a1" },
      want: { "gen_ai.agent.id": "a1" },
    },
    {
      name: "actions run in order",
      actions: [
        { key: "copy", action: "insert", from_attribute: "secret" },
        { key: "secret", action: "delete" },
        { key: "copy", action: "hash" },
      ],
      input: { secret: "s3cr3t" },
      want: { copy: sha("s3cr3t") },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      expect(await run(c.actions, structuredClone(c.input))).toEqual(c.want);
    });
  }

  it("copies a nested value rather than sharing it", async () => {
    const out = await run([{ key: "b", action: "insert", from_attribute: "a" }], {
      a: { x: 1 },
    });
    expect(out.b).toEqual({ x: 1 });
    expect(out.b).not.toBe(out.a);
  });
});

describe("attributes config", () => {
  const bad: [string, unknown, RegExp][] = [
    ["no actions", {}, /expected array/],
    ["empty actions", { actions: [] }, /at least one action/],
    ["unknown action", { actions: [{ key: "a", action: "move" }] }, /action/],
    ["insert without a value", { actions: [{ key: "a", action: "insert" }] }, /needs one of/],
    ["insert without a key", { actions: [{ action: "insert", value: 1 }] }, /needs a key/],
    [
      "value and from_attribute",
      { actions: [{ key: "a", action: "upsert", value: 1, from_attribute: "b" }] },
      /only one of/,
    ],
    ["delete with neither", { actions: [{ action: "delete" }] }, /key, a pattern/],
    [
      "extract without named groups",
      { actions: [{ key: "a", action: "extract", pattern: "(\\d+)" }] },
      /named group/,
    ],
    ["bad regex", { actions: [{ action: "delete", pattern: "(" }] }, /invalid regular expression/],
    ["convert without a type", { actions: [{ key: "a", action: "convert" }] }, /converted_type/],
    ["rename without new_key", { actions: [{ key: "a", action: "rename" }] }, /new_key/],
    [
      "option the action does not use",
      { actions: [{ key: "a", action: "delete", value: 1 }] },
      /value is not used by action delete/,
    ],
    ["misspelt option", { actions: [{ key: "a", action: "delete", patern: "x" }] }, /patern/],
  ];
  for (const [name, config, message] of bad) {
    it(`rejects ${name}`, () => {
      const result = attributesConfigSchema.safeParse(config);
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toMatch(message);
    });
  }
});

describe("attributes processor", () => {
  it("applies the actions to metric data points", async () => {
    const sink = new Sink();
    const ctx = processorContext("attributes", "metrics", "metrics");
    const config = attributesConfigSchema.parse({
      actions: [{ key: "host", action: "delete" }],
    });
    const processor = attributesFactory.create(ctx, config, sink);
    const metric: Metric = {
      name: "m",
      data: {
        type: "gauge",
        points: [
          { attributes: { host: "a", k: 1 }, startTime: 0n, time: 1n, value: 1 },
          { attributes: { host: "b", k: 2 }, startTime: 0n, time: 1n, value: 2 },
        ],
      },
      resource: { attributes: {} },
      scope: { name: "t" },
    };
    await processor.consume([metric]);
    expect(metric.data.points.map((p) => p.attributes)).toEqual([{ k: 1 }, { k: 2 }]);
    expect(ctx.telemetry.get("processor/metrics/attributes/incoming")).toBe(2);
    expect(ctx.telemetry.get("processor/metrics/attributes/outgoing")).toBe(2);
  });

  it("says it mutates data and passes downstream errors back", async () => {
    const error = new RetryableError("busy");
    const config = attributesConfigSchema.parse({ actions: [{ key: "a", action: "delete" }] });
    const processor = attributesFactory.create(processorContext("attributes"), config, {
      consume: () => Promise.reject(error),
    });
    expect(processor.mutatesData).toBe(true);
    await expect(processor.consume([logRecord()])).rejects.toBe(error);
    await processor.shutdown();
    await expect(processor.consume([logRecord()])).rejects.toBeInstanceOf(RetryableError);
  });
});
