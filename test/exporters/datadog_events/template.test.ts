import { describe, expect, it } from "vitest";
import { datadogEventsConfigSchema } from "../../../src/exporters/datadog_events/config.js";
import { compileTemplate } from "../../../src/exporters/datadog_events/template.js";
import { falcoAlert, operantDetection } from "../datadog/helpers.js";

describe("compileTemplate", () => {
  it("renders record and resource attributes and plain fields", () => {
    const template = compileTemplate(
      '{{attributes["detection.category"]}} on {{resource.attributes["service.name"]}}: {{body}} ({{severity_text}}/{{severity_number}}, {{event_name}})',
    );
    expect(template(operantDetection())).toBe(
      "data_exfiltration on billing-agent-svc: data_exfiltration blocked on agent billing-agent (high/17, security.detection)",
    );
  });

  it("falls back along ?? to the first present value, then a literal", () => {
    const template = compileTemplate(
      '{{attributes["gen_ai.agent.id"] ?? resource.attributes["k8s.cluster.name"] ?? "?? none"}}',
    );
    expect(template(operantDetection())).toBe("billing-agent");
    expect(template(falcoAlert())).toBe("prod-eu-west-1");
    expect(template({ ...falcoAlert(), resource: { attributes: {} } })).toBe("?? none");
  });

  it("renders absent values as empty and non-strings as JSON", () => {
    const template = compileTemplate(
      '[{{attributes["nope"]}}] {{attributes["detection.taxonomy.owasp_llm"]}} {{attributes["detection.confidence"]}}',
    );
    expect(template(operantDetection())).toBe('[] ["LLM02:2025"] 0.9');
  });

  it("reads trace context", () => {
    expect(compileTemplate("{{trace_id}}/{{span_id}}")(falcoAlert())).toBe(
      "5b8efff798038103d269b633813fc60c/eee19b7ec3c1b174",
    );
  });

  it.each([
    ["{{attributes[detection.category]}}", /unknown path/],
    ["{{ attrs }}", /unknown path/],
    ["{{body", /unclosed/],
    ['{{attributes["a"] ?? }}', /bad placeholder/],
    ['{{"unterminated}}', /bad string literal/],
  ])("refuses %s", (source, message) => {
    expect(() => compileTemplate(source)).toThrow(message);
  });

  it("reports a bad template as a config error on its option", () => {
    const result = datadogEventsConfigSchema.safeParse({ api_key: "k", title: "{{nope}}" });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(["title"]);
    expect(result.error!.issues[0]!.message).toMatch(/unknown path "nope"/);
  });

  it("compiles the defaults", () => {
    expect(datadogEventsConfigSchema.safeParse({ api_key: "k" }).success).toBe(true);
  });
});
