import { describe, expect, it } from "vitest";
import { compileStatement, OttlRuntimeError } from "../../src/expr/index.js";
import type { LogRecord } from "../../src/pdata/logs.js";
import { logRecord } from "../helpers/records.js";

function record(attributes: LogRecord["attributes"] = {}): LogRecord {
  return logRecord({
    attributes: {
      "detection.severity": "high",
      "detection.action": "blocked",
      "user.email": "ann@example.com",
      "http.request.header.authorization": "Bearer abc",
      "http.request.header.cookie": "s=1",
      ...attributes,
    },
    body: { title: "prompt injection blocked on support-bot" },
    resource: { attributes: { "service.name": "support-bot" } },
  });
}

function run(source: string, r = record()): LogRecord {
  compileStatement(source).run(r);
  return r;
}

describe("transform statements", () => {
  it("sets attributes, nested keys and record fields", () => {
    const r = run('set(attributes["team"], "secops")');
    expect(r.attributes.team).toBe("secops");
    expect(run('set(attributes["a"]["b"], 1)').attributes.a).toEqual({ b: 1 });
    expect(run("set(severity_number, SEVERITY_NUMBER_FATAL)").severityNumber).toBe(21);
    expect(run('set(severity_text, "critical")').severityText).toBe("critical");
    expect(run('set(event_name, "x")').eventName).toBe("x");
    expect(run("set(time_unix_nano, 1795165200000000001)").time).toBe(1795165200000000001n);
    expect(run('set(trace_id, "0AF7651916CD43DD8448EB211C80319C")').traceId).toBe(
      "0af7651916cd43dd8448eb211c80319c",
    );
    expect(
      run('set(body["summary"], Concat([attributes["detection.severity"], body["title"]], ": "))')
        .body,
    ).toEqual({
      title: "prompt injection blocked on support-bot",
      summary: "high: prompt injection blocked on support-bot",
    });
    expect(run('set(body, "plain")').body).toBe("plain");
  });

  it("copies a map on assignment instead of aliasing it", () => {
    const r = run('set(attributes["copy"], body)');
    (r.body as Record<string, unknown>).title = "changed";
    expect(r.attributes.copy).toEqual({ title: "prompt injection blocked on support-bot" });
  });

  it("does nothing when the value is nil", () => {
    const r = run('set(attributes["detection.severity"], attributes["missing"])');
    expect(r.attributes["detection.severity"]).toBe("high");
  });

  it("runs only where the condition holds", () => {
    const statement = compileStatement(
      'set(attributes["page"], true) where attributes["detection.action"] != "blocked"',
    );
    const blocked = record();
    const allowed = record({ "detection.action": "allowed" });
    statement.run(blocked);
    statement.run(allowed);
    expect(blocked.attributes.page).toBeUndefined();
    expect(allowed.attributes.page).toBe(true);
  });

  it("rejects values of the wrong type for typed fields at run time", () => {
    expect(() => run('set(severity_number, "high")')).toThrow(OttlRuntimeError);
    expect(() => run("set(severity_number, 99)")).toThrow(
      /severity_number expects an integer from 0 to 24/,
    );
    expect(() => run("set(severity_text, 1)")).toThrow(/severity_text expects a string, got int 1/);
    expect(() => run('set(trace_id, "abc")')).toThrow(/trace_id expects 32 hex characters/);
    expect(() => run('set(attributes, "x")')).toThrow(/attributes expects a map/);
    expect(() => run('set(attributes["detection.severity"]["x"], 1)')).toThrow(
      /cannot set a key inside string value/,
    );
  });

  it("delete_key and delete_matching_keys", () => {
    expect(run('delete_key(attributes, "user.email")').attributes).not.toHaveProperty("user.email");
    const r = run('delete_matching_keys(attributes, "^http\\\\.request\\\\.header\\\\.")');
    expect(Object.keys(r.attributes).sort()).toEqual([
      "detection.action",
      "detection.severity",
      "user.email",
    ]);
    // A missing map is nothing to edit.
    expect(() => run('delete_key(attributes["nope"], "x")')).not.toThrow();
    expect(() => run('delete_key(attributes["user.email"], "x")')).toThrow(
      /delete_key expects a map at attributes\["user.email"\]/,
    );
  });

  it("keep_keys", () => {
    const r = run('keep_keys(attributes, ["detection.severity", "absent"])');
    expect(r.attributes).toEqual({ "detection.severity": "high" });
  });

  it("replace_pattern with Go-style group references", () => {
    const r = run(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${domain} is a Go replacement template
      'replace_pattern(attributes["user.email"], "^([^@]+)@(?P<domain>.+)$", "***@${domain} ($1)")',
    );
    expect(r.attributes["user.email"]).toBe("***@example.com (ann)");
    const all = run('replace_pattern(body["title"], "o", "0")');
    expect((all.body as Record<string, unknown>).title).toBe(
      "pr0mpt injecti0n bl0cked 0n supp0rt-b0t",
    );
    const dollar = run('replace_pattern(attributes["user.email"], "@.*", "$$&")');
    expect(dollar.attributes["user.email"]).toBe("ann$&");
    // Not a string: left alone.
    const n = run('replace_pattern(attributes["n"], "1", "2")', record({ n: 1 }));
    expect(n.attributes.n).toBe(1);
  });

  it("replace_all_patterns on values and on keys", () => {
    const values = run('replace_all_patterns(attributes, "value", "Bearer \\\\S+", "Bearer ***")');
    expect(values.attributes["http.request.header.authorization"]).toBe("Bearer ***");
    expect(values.attributes["detection.severity"]).toBe("high");
    const keys = run(
      'replace_all_patterns(attributes, "key", "^http\\\\.request\\\\.header\\\\.", "h.")',
    );
    expect(keys.attributes).toHaveProperty("h.authorization", "Bearer abc");
    expect(keys.attributes).not.toHaveProperty("http.request.header.authorization");
  });

  it("truncate_all cuts strings only, never inside a character", () => {
    const r = run("truncate_all(attributes, 4)", record({ n: 123456, emoji: "😀😀😀😀😀" }));
    expect(r.attributes["user.email"]).toBe("ann@");
    expect(r.attributes.n).toBe(123456);
    expect(r.attributes.emoji).toBe("😀😀😀😀");
  });

  it("limit keeps priority keys first, then the earliest keys", () => {
    const r = run('limit(attributes, 2, ["user.email"])');
    expect(Object.keys(r.attributes)).toEqual(["detection.severity", "user.email"]);
    const none = run("limit(attributes, 10)");
    expect(Object.keys(none.attributes)).toHaveLength(5);
  });

  it("reports which shared objects a statement writes", () => {
    expect(compileStatement('set(attributes["x"], 1)').writes).toBe("record");
    expect(compileStatement('set(resource.attributes["x"], 1)').writes).toBe("resource");
    expect(compileStatement('delete_key(resource.attributes, "x")').writes).toBe("resource");
    expect(compileStatement('set(scope.name, "x")').writes).toBe("scope");
    expect(compileStatement('set(attributes["x"], 1)', { context: "resource" }).writes).toBe(
      "resource",
    );
  });
});
