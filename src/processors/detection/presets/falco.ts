import { ATTR, DETECTION_EVENT_NAME, RESOURCE_ATTR } from "../../../pdata/detection.js";
import type { Attributes } from "../../../pdata/value.js";
import { type Mapped, MappingError, type Payload, type Preset, put } from "../mapping.js";
import { Reader } from "../read.js";
import { parseTime } from "../time.js";

/** Falco priorities (case-insensitive; `info` is accepted as Falcosidekick does). */
const SCALE = {
  emergency: "critical",
  alert: "critical",
  critical: "critical",
  error: "high",
  warning: "medium",
  notice: "low",
  informational: "info",
  info: "info",
  debug: "info",
} as const;

/** Falco output fields that say where the event happened → resource attributes. */
const RESOURCE_FIELDS: Record<string, string> = {
  "k8s.ns.name": RESOURCE_ATTR.k8sNamespace,
  "k8s.pod.name": RESOURCE_ATTR.k8sPod,
  "k8s.deployment.name": RESOURCE_ATTR.k8sDeployment,
  "container.name": RESOURCE_ATTR.containerName,
  "container.id": RESOURCE_ATTR.containerId,
  "container.image.repository": RESOURCE_ATTR.containerImage,
};

/** Falco's JSON alert output (json_output: true), directly or through Falcosidekick. */
export const falco: Preset = {
  scale: SCALE,
  map(payload: Payload): Mapped {
    const r = new Reader(payload);
    const rule = r.str("rule");
    const priority = r.str("priority");
    if (rule === undefined || priority === undefined)
      throw new MappingError(
        `not a Falco alert: ${rule === undefined ? "rule" : "priority"} is missing`,
      );
    const fields = r.obj("output_fields");

    const a: Attributes = {};
    put(a, ATTR.id, r.str("uuid"));
    // Falco names the rule but has no category or action: it observes syscalls and audit events.
    a[ATTR.category] = "runtime_threat";
    a[ATTR.action] = "observed";
    if (fields?.str("k8s.pod.name") !== undefined) a[ATTR.surface] = "k8s_workload";
    a[ATTR.ruleName] = rule;
    put(a, ATTR.userName, fields?.str("user.name"));
    put(a, "falco.source", r.str("source"));
    put(a, "falco.tags", r.strs("tags"));
    if (fields) put(a, "falco.output_fields", fields.value);
    a[ATTR.sourceProduct] = "falco";
    a[ATTR.sourceVendor] = "falcosecurity";

    const resource: Attributes = {};
    put(resource, RESOURCE_ATTR.hostName, r.str("hostname"));
    for (const [field, name] of Object.entries(RESOURCE_FIELDS)) {
      const value = fields?.str(field);
      // Falco writes <NA> (or null) for a field with no value, and container.id "host" outside
      // containers.
      const empty = value === undefined || value === "" || value === "<NA>";
      if (!empty && !(field === "container.id" && value === "host")) resource[name] = value;
    }

    return {
      eventName: DETECTION_EVENT_NAME,
      time: r.time("time", (v) => parseTime(v)),
      severityText: priority,
      severityKey: priority.toLowerCase(),
      body: r.str("output") ?? `${priority} ${rule}`,
      attributes: a,
      resource,
    };
  },
};
