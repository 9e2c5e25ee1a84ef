import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Resource } from "../../../src/pdata/resource.js";
import type { Attributes } from "../../../src/pdata/value.js";
import { enrichConfigSchema } from "../../../src/processors/enrich/config.js";
import { enrichFactory } from "../../../src/processors/enrich/factory.js";
import type { EnrichProcessor } from "../../../src/processors/enrich/processor.js";
import { noopHost, processorContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";

class Sink implements Consumer<unknown> {
  readonly records: LogRecord[] = [];
  async consume(batch: unknown): Promise<void> {
    this.records.push(...(batch as LogRecord[]));
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tripline-enrich-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

const AGENTS_CSV = "agent,team,owner,tier\nsupport-bot,red,ana,1\nbilling-agent,blue,bo,2\n";

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

async function setup(config: Record<string, unknown>) {
  const sink = new Sink();
  const ctx = { ...processorContext("enrich"), configDir: dir };
  const processor = enrichFactory.create(
    ctx,
    enrichConfigSchema.parse(config),
    sink,
  ) as EnrichProcessor;
  await processor.start(noopHost);
  return { sink, ctx, processor };
}

async function enrich(
  config: Record<string, unknown>,
  attributes: Attributes,
): Promise<Attributes> {
  const { sink, processor } = await setup(config);
  await processor.consume([logRecord({ attributes })]);
  await processor.shutdown();
  return sink.records[0]!.attributes;
}

describe("enrich tags and environment", () => {
  it("adds static tags without replacing existing values", async () => {
    expect(await enrich({ tags: { team: "sec", tier: 1 } }, { team: "own" })).toEqual({
      team: "own",
      tier: 1,
    });
  });

  it("replaces existing values with override", async () => {
    expect(await enrich({ tags: { team: "sec" }, override: true }, { team: "own" })).toEqual({
      team: "sec",
    });
  });

  it("reads from_env at start", async () => {
    vi.stubEnv("TRIPLINE_TEST_REGION", "eu-west-1");
    expect(await enrich({ from_env: { "cloud.region": "TRIPLINE_TEST_REGION" } }, {})).toEqual({
      "cloud.region": "eu-west-1",
    });
  });

  it("fails to start naming every missing variable", async () => {
    delete process.env.TRIPLINE_TEST_NOPE;
    const config = enrichConfigSchema.parse({ from_env: { a: "TRIPLINE_TEST_NOPE" } });
    const processor = enrichFactory.create(processorContext("enrich/x"), config, new Sink());
    await expect(processor.start(noopHost)).rejects.toThrow(
      "enrich/x: environment variable not set: TRIPLINE_TEST_NOPE (for from_env.a)",
    );
  });

  it("puts tags on a copy of the resource with resource: true", async () => {
    const { sink, processor } = await setup({ tags: { team: "sec" }, resource: true });
    const shared: Resource = { attributes: { "service.name": "svc" } };
    await processor.consume([logRecord({ resource: shared }), logRecord({ resource: shared })]);
    const [a, b] = sink.records;
    expect(a!.resource).toBe(b!.resource);
    expect(a!.resource.attributes).toEqual({ "service.name": "svc", team: "sec" });
    expect(shared.attributes).toEqual({ "service.name": "svc" });
    expect(a!.attributes.team).toBeUndefined();
    await processor.shutdown();
  });
});

describe("enrich lookups", () => {
  const cases: {
    name: string;
    file: [string, string];
    lookup: Record<string, unknown>;
    input: Attributes;
    want: Attributes;
  }[] = [
    {
      name: "CSV: every column but the key",
      file: ["agents.csv", AGENTS_CSV],
      lookup: { key: "gen_ai.agent.id" },
      input: { "gen_ai.agent.id": "support-bot" },
      want: { "gen_ai.agent.id": "support-bot", team: "red", owner: "ana", tier: "1" },
    },
    {
      name: "CSV: chosen columns with a prefix",
      file: ["agents.csv", AGENTS_CSV],
      lookup: { key: "gen_ai.agent.id", columns: ["team"], prefix: "owner." },
      input: { "gen_ai.agent.id": "billing-agent" },
      want: { "gen_ai.agent.id": "billing-agent", "owner.team": "blue" },
    },
    {
      name: "CSV: unknown key takes the default",
      file: ["agents.csv", AGENTS_CSV],
      lookup: { key: "gen_ai.agent.id", columns: ["team"], default: { team: "unknown" } },
      input: { "gen_ai.agent.id": "rogue" },
      want: { "gen_ai.agent.id": "rogue", team: "unknown" },
    },
    {
      name: "CSV: a record without the key takes the default",
      file: ["agents.csv", AGENTS_CSV],
      lookup: { key: "gen_ai.agent.id", default: { team: "unknown" } },
      input: {},
      want: { team: "unknown" },
    },
    {
      name: "CSV: key_column picks another column",
      file: ["agents.csv", AGENTS_CSV],
      lookup: { key: "user.id", key_column: "owner", columns: ["agent"] },
      input: { "user.id": "bo" },
      want: { "user.id": "bo", agent: "billing-agent" },
    },
    {
      name: "CSV: numbers match their text",
      file: ["tiers.csv", "tier,sla\n1,15m\n2,4h\n"],
      lookup: { key: "tier" },
      input: { tier: 2 },
      want: { tier: 2, sla: "4h" },
    },
    {
      name: "YAML map: keys are the keys",
      file: ["agents.yaml", "support-bot: {team: red, tier: 1}\nbilling-agent: {team: blue}\n"],
      lookup: { key: "gen_ai.agent.id" },
      input: { "gen_ai.agent.id": "support-bot" },
      want: { "gen_ai.agent.id": "support-bot", team: "red", tier: 1 },
    },
    {
      name: "YAML list: the first field is the key",
      file: [
        "agents.yml",
        "- {agent: support-bot, team: red}\n- {agent: billing-agent, team: blue}\n",
      ],
      lookup: { key: "gen_ai.agent.id" },
      input: { "gen_ai.agent.id": "billing-agent" },
      want: { "gen_ai.agent.id": "billing-agent", team: "blue" },
    },
    {
      name: "existing attributes are kept",
      file: ["agents.csv", AGENTS_CSV],
      lookup: { key: "gen_ai.agent.id", columns: ["team"] },
      input: { "gen_ai.agent.id": "support-bot", team: "mine" },
      want: { "gen_ai.agent.id": "support-bot", team: "mine" },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const file = write(...c.file);
      expect(await enrich({ lookups: [{ file, ...c.lookup }] }, c.input)).toEqual(c.want);
    });
  }

  it("reads the key from the resource when the record lacks it", async () => {
    const file = write("svc.csv", "service,team\npayments,blue\n");
    const { sink, processor } = await setup({ lookups: [{ file, key: "service.name" }] });
    await processor.consume([
      logRecord({ resource: { attributes: { "service.name": "payments" } } }),
    ]);
    expect(sink.records[0]!.attributes.team).toBe("blue");
    await processor.shutdown();
  });

  const broken: [
    name: string,
    file: [string, string],
    lookup: Record<string, unknown>,
    error: RegExp,
  ][] = [
    ["a missing file", ["other.csv", "a\n"], { file: "nope.csv" }, /cannot read .*nope\.csv/],
    ["a ragged CSV", ["t.csv", "a,b\n1,2\n3\n"], {}, /t\.csv: .*(record length|columns)/i],
    ["a repeated key", ["t.csv", "a,b\n1,2\n1,3\n"], {}, /line 3 repeats the key "1"/],
    [
      "an unknown key_column",
      ["t.csv", "a,b\n1,2\n"],
      { key_column: "c" },
      /key_column "c" is not in the header/,
    ],
    [
      "an unknown column",
      ["t.csv", "a,b\n1,2\n"],
      { columns: ["z"] },
      /columns not in the table: z/,
    ],
    ["bad YAML", ["t.yaml", "a: [1,\n"], {}, /t\.yaml: /],
    ["a YAML scalar", ["t.yaml", "just text\n"], {}, /expected a mapping/],
    ["another extension", ["t.json", "{}"], {}, /unsupported lookup file type ".json"/],
  ];
  for (const [name, file, lookup, error] of broken) {
    it(`fails to start on ${name}`, async () => {
      const path = write(...file);
      const config = enrichConfigSchema.parse({ lookups: [{ file: path, key: "k", ...lookup }] });
      const ctx = { ...processorContext("enrich"), configDir: dir };
      const processor = enrichFactory.create(ctx, config, new Sink());
      await expect(processor.start(noopHost)).rejects.toThrow(error);
      await expect(processor.start(noopHost)).rejects.toThrow(/^enrich: lookups\[0\]/);
    });
  }

  it("reloads the table when the file changes", async () => {
    const file = write("agents.csv", AGENTS_CSV);
    const { sink, processor } = await setup({
      lookups: [{ file, key: "gen_ai.agent.id", columns: ["team"], reload_interval: "20ms" }],
    });
    const record = () => logRecord({ attributes: { "gen_ai.agent.id": "support-bot" } });
    await processor.consume([record()]);
    write("agents.csv", "agent,team\nsupport-bot,green-team\n");
    await vi.waitFor(() => expect(processor.tables[0]!.size).toBe(1), {
      timeout: 2000,
      interval: 10,
    });
    await processor.consume([record()]);
    expect(sink.records.map((r) => r.attributes.team)).toEqual(["red", "green-team"]);
    await processor.shutdown();
  });

  it("sees a file replaced by rename, as a ConfigMap update does", async () => {
    const file = write("agents.csv", AGENTS_CSV);
    const { processor } = await setup({
      lookups: [{ file, key: "gen_ai.agent.id", reload_interval: "20ms" }],
    });
    writeFileSync(join(dir, "next.csv"), "agent,team\na,1\nb,2\nc,3\n");
    renameSync(join(dir, "next.csv"), join(dir, "agents.csv"));
    await vi.waitFor(() => expect(processor.tables[0]!.size).toBe(3), {
      timeout: 2000,
      interval: 10,
    });
    await processor.shutdown();
  });

  it("keeps the previous table and warns when a reload fails to parse", async () => {
    const file = write("agents.csv", AGENTS_CSV);
    const { sink, ctx, processor } = await setup({
      lookups: [{ file, key: "gen_ai.agent.id", columns: ["team"], reload_interval: "20ms" }],
    });
    const warn = vi.spyOn(ctx.logger, "warn");
    write("agents.csv", "agent,team\nsupport-bot,red,extra\n");
    await vi.waitFor(() => expect(warn).toHaveBeenCalled(), { timeout: 2000, interval: 10 });
    expect(warn.mock.calls[0]![1]).toMatch(/keeping the previous one/);
    await processor.consume([logRecord({ attributes: { "gen_ai.agent.id": "support-bot" } })]);
    expect(sink.records[0]!.attributes.team).toBe("red");
    await processor.shutdown();
  });

  it("does not reload with reload: false", async () => {
    const file = write("agents.csv", AGENTS_CSV);
    const { processor } = await setup({
      lookups: [{ file, key: "gen_ai.agent.id", reload: false, reload_interval: "10ms" }],
    });
    write("agents.csv", "agent,team\nx,1\n");
    await new Promise((r) => setTimeout(r, 60));
    expect(processor.tables[0]!.size).toBe(2);
    await processor.shutdown();
  });
});

describe("enrich config", () => {
  it("needs something to add", () => {
    const result = enrichConfigSchema.safeParse({});
    expect(result.error?.issues[0]?.message).toBe("set at least one of tags, from_env or lookups");
  });

  it("rejects bad options", () => {
    for (const bad of [
      { from_env: { a: "NOT-A-NAME" } },
      { lookups: [{ key: "k" }] },
      { lookups: [{ file: "f.csv", key: "k", reload_interval: 0 }] },
      { lookups: [{ file: "f.csv", key: "k", colums: ["a"] }] },
      { tags: { a: { nested: 1 } } },
    ]) {
      expect(enrichConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
