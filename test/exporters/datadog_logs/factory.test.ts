import { describe, expect, it } from "vitest";
import { describeOptions } from "../../../src/cli/components.js";
import { registry } from "../../../src/components.js";
import { datadogEventsFactory } from "../../../src/exporters/datadog_events/factory.js";
import { datadogLogsConfigSchema } from "../../../src/exporters/datadog_logs/config.js";
import { datadogLogsFactory } from "../../../src/exporters/datadog_logs/factory.js";
import { apiUrl, DATADOG_SITES, logsIntakeUrl } from "../../../src/exporters/datadog_logs/site.js";

describe("site", () => {
  it.each(DATADOG_SITES)("derives the intake and API hosts of %s", (site) => {
    expect(logsIntakeUrl({ site })).toBe(`https://http-intake.logs.${site}/api/v2/logs`);
    expect(apiUrl({ site }, "/api/v1/validate")).toBe(`https://api.${site}/api/v1/validate`);
  });

  it("lets endpoint replace the host, trailing slash or not", () => {
    const connection = { site: "datadoghq.eu" as const, endpoint: "http://proxy:3128/dd/" };
    expect(logsIntakeUrl(connection)).toBe("http://proxy:3128/dd/api/v2/logs");
    expect(apiUrl(connection, "/api/v1/events")).toBe("http://proxy:3128/dd/api/v1/events");
  });
});

describe("datadog_logs config", () => {
  it("requires api_key and refuses an unknown site or a comma in a tag", () => {
    const result = datadogLogsConfigSchema.safeParse({ site: "datadog.com", tags: ["a:b,c:d"] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join("."))).toEqual(
      expect.arrayContaining(["api_key", "site", "tags.0"]),
    );
  });

  it("refuses limits above Datadog's", () => {
    for (const over of [
      { max_batch_entries: 1001 },
      { max_batch_bytes: 5_000_001 },
      { max_entry_bytes: 1_000_001 },
    ]) {
      expect(datadogLogsConfigSchema.safeParse({ api_key: "k", ...over }).success).toBe(false);
    }
  });

  it("is registered and documents every option for `tripline components`", () => {
    expect(registry.get("exporter", "datadog_logs")).toBe(datadogLogsFactory);
    expect(registry.get("exporter", "datadog_events")).toBe(datadogEventsFactory);
    const options = Object.fromEntries(describeOptions(datadogLogsFactory).map((o) => [o.name, o]));
    expect(options.api_key).toMatchObject({ required: true });
    expect(options.site).toMatchObject({ default: "datadoghq.com" });
    expect(options.compression).toMatchObject({ default: "gzip" });
    for (const option of Object.values(options)) expect(option.description).toBeTruthy();
    const events = describeOptions(datadogEventsFactory).map((o) => o.name);
    expect(events).toEqual(expect.arrayContaining(["title", "text", "max_events_per_minute"]));
  });
});
