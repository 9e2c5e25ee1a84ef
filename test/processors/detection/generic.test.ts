import { describe, expect, it } from "vitest";
import { detectionConfigSchema } from "../../../src/processors/detection/config.js";
import { parsePath, valueAt } from "../../../src/processors/detection/jsonpath.js";
import { setup } from "./support.js";

const config = {
  preset: "generic",
  source_product: "acme-waf",
  fields: {
    id: "$.id",
    severity: "$.sev",
    category: "$.type",
    time: "$.ts",
    body: "$.msg",
    trace_id: "$.ctx.trace",
    attributes: {
      "user.id": "$.actor.id",
      "gen_ai.tool.name": "$.tools[1]",
      "rule.x": '$["rule.name"]',
    },
    resource: { "service.name": "$.svc", "k8s.pod.name": "$['k8s']['pod']" },
  },
  value_maps: {
    severity: { "1": "low", "5": "critical" },
    type: {},
    category: { pi: "prompt_injection" },
  },
};

describe("generic preset", () => {
  it("reads fields by JSONPath and translates values", async () => {
    const { run } = setup(config);
    const [record] = await run([
      {
        id: 7,
        sev: 5,
        type: "pi",
        ts: 1_795_165_200_123,
        msg: "prompt injection on checkout",
        ctx: { trace: "5B8EFFF798038103D269B633813FC60C" },
        actor: { id: "u-1" },
        tools: ["a", "http_fetch"],
        "rule.name": "r-9",
        svc: "checkout",
        k8s: { pod: "checkout-1" },
      },
    ]);
    expect(record).toMatchObject({
      eventName: "security.detection",
      time: 1_795_165_200_123_000_000n,
      severityText: "5",
      severityNumber: 21,
      body: "prompt injection on checkout",
      traceId: "5b8efff798038103d269b633813fc60c",
      resource: { attributes: { "service.name": "checkout", "k8s.pod.name": "checkout-1" } },
    });
    expect(record!.attributes).toEqual({
      "detection.id": "7",
      "detection.severity": "critical",
      "detection.category": "prompt_injection",
      "user.id": "u-1",
      "gen_ai.tool.name": "http_fetch",
      "rule.x": "r-9",
      "detection.source.product": "acme-waf",
    });
  });

  it("defaults a severity that no map knows, and summarises without a body path", async () => {
    const { run, counter } = setup({
      preset: "generic",
      fields: { severity: "$.sev", category: "$.kind", attributes: {} },
    });
    const [record] = await run([{ sev: "3", kind: "jailbreak" }]);
    expect(record!.attributes["detection.severity"]).toBe("info");
    expect(record!.attributes["detection.severity_defaulted"]).toBe(true);
    expect(record!.body).toBe("jailbreak");
    expect(await counter("tripline_detection_unknown_severity")).toBe(1);
  });

  it("flags a time it cannot read, naming the path", async () => {
    const { run } = setup({ preset: "generic", fields: { time: "$.at" } });
    const [record] = await run([{ at: "last tuesday" }]);
    expect(record!.attributes["detection.mapping_error"]).toBe(
      'generic: time ($.at): expected an ISO 8601 time with a zone, got "last tuesday"',
    );
  });

  it("validates paths and generic-only options in the config", () => {
    const bad = detectionConfigSchema.safeParse({ preset: "generic", fields: { id: "$.a..b" } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["fields", "id"]);
    expect(bad.error?.issues[0]?.message).toBe(
      'expected a name after "." at position 3 of "$.a..b"',
    );

    const missing = detectionConfigSchema.safeParse({ preset: "generic" });
    expect(missing.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["fields", 'fields is required with preset "generic"'],
    ]);
    const misplaced = detectionConfigSchema.safeParse({ preset: "falco", fields: {} });
    expect(misplaced.error?.issues[0]?.message).toBe(
      'fields is only used with preset "generic" (preset is "falco")',
    );
    const level = detectionConfigSchema.safeParse({
      ...config,
      value_maps: { severity: { "1": "urgent" } },
    });
    expect(level.error?.issues[0]?.path).toEqual(["value_maps", "severity", "1"]);
  });
});

describe("JSONPath subset", () => {
  it("parses names, indexes and quoted keys", () => {
    expect(parsePath("$")).toEqual([]);
    expect(parsePath("$.a.b_c-d")).toEqual(["a", "b_c-d"]);
    expect(parsePath("$.a[0][12]")).toEqual(["a", 0, 12]);
    expect(parsePath(`$["x.y"]['it\\'s']`)).toEqual(["x.y", "it's"]);
  });

  it("rejects what it does not support with the position", () => {
    expect(() => parsePath("a.b")).toThrow('a path starts with "$" (got "a.b")');
    expect(() => parsePath("$.a[*]")).toThrow(
      'expected an index or a quoted key after "[" at position 3',
    );
    expect(() => parsePath('$["a"')).toThrow("unterminated");
    expect(() => parsePath("$..a")).toThrow('expected a name after "." at position 1');
    expect(() => parsePath("$a")).toThrow('unexpected "a" at position 1');
  });

  it("returns undefined for a missing step, null, or a wrong container", () => {
    const doc = { a: { b: [1, { c: "x" }] }, n: null };
    expect(valueAt(doc, parsePath("$.a.b[1].c"))).toBe("x");
    expect(valueAt(doc, parsePath("$.a.b[5]"))).toBeUndefined();
    expect(valueAt(doc, parsePath("$.a[0]"))).toBeUndefined();
    expect(valueAt(doc, parsePath("$.n"))).toBeUndefined();
    expect(valueAt(doc, parsePath("$.a.toString"))).toBeUndefined();
  });
});
