import { describe, expect, it } from "vitest";
import { ndjson, RECEIVED_AT, SAMPLES, setup } from "./support.js";

const lines = ndjson(`${SAMPLES}/execlave/traces.ndjson`);

describe("execlave preset", () => {
  it("maps a success trace (line 1) to a gen_ai.agent.trace record at info", async () => {
    const { run } = setup({ preset: "execlave" });
    const [record] = await run([lines[0]!]);
    expect(record).toEqual({
      eventName: "gen_ai.agent.trace",
      time: 1_795_165_200_000_000_000n,
      observedTime: RECEIVED_AT,
      severityText: "success",
      severityNumber: 9,
      body: "agent trace success on agent support-bot: llm chat.completions (claude-sonnet-4)",
      traceId: "071dfd7ad9124feea8284fd2d7008dda",
      attributes: {
        "detection.id": "071dfd7a-d912-4fee-a828-4fd2d7008dda",
        "detection.severity": "info",
        "detection.surface": "ai_agent",
        "gen_ai.agent.id": "support-bot",
        "gen_ai.agent.name": "Support Bot",
        "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.input_tokens": 667,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cost_usd": 0.004668,
        duration_ms: 2805,
        "user.id": "user-194",
        "session.id": "sess_bf71372c9c",
        "agent.autonomy_level": "suggest_only",
        "agent.registry_status": "active",
        "agent.idp_bound": true,
        organization_id: "org_2x7k",
        trace_id: "071dfd7a-d912-4fee-a828-4fd2d7008dda",
        agent_id: "support-bot",
        status: "success",
        model: "claude-sonnet-4",
        total_tokens: 967,
        cost_usd: 0.004668,
        environment: "staging",
        span_type: "llm",
        span_name: "chat.completions",
        agent_name: "Support Bot",
        autonomy_level: "suggest_only",
        agent_status: "active",
        idp_bound: true,
        "detection.source.product": "execlave",
        "detection.source.vendor": "Execlave",
      },
      resource: {
        attributes: { "service.name": "support-bot", "deployment.environment.name": "staging" },
      },
      scope: { name: "tripline/receiver/detections" },
    });
  });

  it("maps a policy_blocked trace (line 18) to a high detection", async () => {
    const { run } = setup({ preset: "execlave" });
    const [record] = await run([lines[17]!]);
    expect(record!.eventName).toBe("security.detection");
    expect(record!.severityText).toBe("policy_blocked");
    expect(record!.severityNumber).toBe(17);
    expect(record!.time).toBe(1_795_165_215_487_000_000n);
    expect(record!.body).toBe(
      "policy_violation blocked on agent sales-copilot (status policy_blocked)",
    );
    expect(record!.attributes).toMatchObject({
      "detection.severity": "high",
      "detection.category": "policy_violation",
      "detection.action": "blocked",
      "gen_ai.operation.name": "invoke_agent",
      status: "policy_blocked",
      idp_bound: false,
      "agent.idp_bound": false,
    });
  });

  it("maps an error trace (line 11) with its error fields and tool name", async () => {
    const { run } = setup({ preset: "execlave" });
    const [record] = await run([lines[10]!]);
    expect(record!.eventName).toBe("gen_ai.agent.trace");
    expect(record!.severityNumber).toBe(13);
    expect(record!.attributes).toMatchObject({
      "detection.severity": "low",
      "error.type": "ToolError",
      "error.message": "upstream returned 502",
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "read_file",
    });
    expect(record!.attributes).not.toHaveProperty("detection.category");
  });

  it("grades every status on the model's scale", async () => {
    const { run } = setup({ preset: "execlave" });
    const table: [string, string, number, string][] = [
      ["policy_blocked", "high", 17, "security.detection"],
      ["flagged_for_review", "medium", 14, "security.detection"],
      ["limit_exceeded", "medium", 14, "security.detection"],
      ["error", "low", 13, "gen_ai.agent.trace"],
      ["timeout", "low", 13, "gen_ai.agent.trace"],
      ["success", "info", 9, "gen_ai.agent.trace"],
    ];
    const out = await run(table.map(([status]) => ({ ...lines[0]!, status })));
    expect(
      out.map((r) => [
        r.severityText,
        r.attributes["detection.severity"],
        r.severityNumber,
        r.eventName,
      ]),
    ).toEqual(table);
  });

  it("follows detect_statuses, and drops non-detections when asked, counting them", async () => {
    const { run, counter } = setup({
      preset: "execlave",
      detect_statuses: ["error", "policy_blocked"],
      include_non_detections: false,
    });
    const out = await run([
      { ...lines[0]!, status: "success" },
      { ...lines[0]!, status: "error" },
      { ...lines[0]!, status: "flagged_for_review" },
      { ...lines[0]!, status: "policy_blocked" },
    ]);
    expect(
      out.map((r) => [r.severityText, r.eventName, r.attributes["detection.category"]]),
    ).toEqual([
      ["error", "security.detection", "error"],
      ["policy_blocked", "security.detection", "policy_violation"],
    ]);
    expect(await counter("tripline_detection_filtered_log_records")).toBe(2);
  });

  it("sets traceId only when the trace id is 32 hex digits once dashes are removed", async () => {
    const { run } = setup({ preset: "execlave" });
    const out = await run([
      { ...lines[0]!, trace_id: "not-a-uuid" },
      { ...lines[0]!, trace_id: "00000000-0000-0000-0000-000000000000" },
      { ...lines[0]!, trace_id: "5B8EFFF798038103D269B633813FC60C" },
    ]);
    expect(out.map((r) => r.traceId)).toEqual([
      undefined,
      undefined,
      "5b8efff798038103d269b633813fc60c",
    ]);
    expect(out[0]!.attributes.trace_id).toBe("not-a-uuid");
  });

  it("reports a token count that is not a number", async () => {
    const { run } = setup({ preset: "execlave" });
    const [record] = await run([{ ...lines[0]!, prompt_tokens: "many" }]);
    expect(record!.attributes["detection.mapping_error"]).toBe(
      'execlave: prompt_tokens: expected a number, got "many"',
    );
  });
});
