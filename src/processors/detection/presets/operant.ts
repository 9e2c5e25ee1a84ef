import { ATTR, DETECTION_EVENT_NAME, RESOURCE_ATTR } from "../../../pdata/detection.js";
import type { Attributes } from "../../../pdata/value.js";
import {
  type Mapped,
  MappingError,
  type Payload,
  type Preset,
  put,
  w3cSpanId,
  w3cTraceId,
} from "../mapping.js";
import { Reader } from "../read.js";
import { parseTime } from "../time.js";

/** Operant writes the model's five words; a few common synonyms are accepted as well. */
const SCALE = {
  info: "info",
  informational: "info",
  low: "low",
  medium: "medium",
  moderate: "medium",
  high: "high",
  critical: "critical",
} as const;

/** A path with a `{placeholder}` is a route template (http.route), otherwise a real url.path. */
function isRouteTemplate(path: string): boolean {
  return /\{[^}]*\}/.test(path);
}

/** Operant AI runtime-defence detections (field names from the vendor's integration guide). */
export const operant: Preset = {
  scale: SCALE,
  map(payload: Payload): Mapped {
    const r = new Reader(payload);
    const id = r.str("detection_id");
    const category = r.str("category");
    const severity = r.str("severity");
    if (id === undefined && category === undefined && severity === undefined)
      throw new MappingError(
        "not an operant detection: none of detection_id, category, severity is present",
      );
    const action = r.str("action");
    const surface = r.obj("surface");
    const api = surface?.obj("api");
    const identity = r.obj("identity");
    const policy = r.obj("policy");
    const taxonomy = r.obj("taxonomy");
    const workload = r.obj("workload");
    const evidence = r.obj("evidence");
    const agent = surface?.str("agent_id");

    const a: Attributes = {};
    put(a, ATTR.id, id);
    put(a, ATTR.category, category);
    put(a, ATTR.action, action);
    put(a, ATTR.surface, surface?.str("type"));
    put(a, ATTR.confidence, r.num("confidence"));
    put(a, ATTR.agentId, agent);
    put(a, ATTR.mcpServerName, surface?.str("mcp_server"));
    put(a, ATTR.toolName, surface?.str("tool"));
    put(a, ATTR.httpMethod, api?.str("method"));
    const apiPath = api?.str("path");
    if (apiPath !== undefined)
      put(a, isRouteTemplate(apiPath) ? ATTR.httpRoute : ATTR.urlPath, apiPath);
    put(a, ATTR.userId, identity?.str("user"));
    put(a, ATTR.identityServiceAccount, identity?.str("service_account"));
    put(a, ATTR.sessionId, identity?.str("session_id"));
    put(a, ATTR.policyName, policy?.str("name"));
    put(a, ATTR.policyMode, policy?.str("mode"));
    put(a, ATTR.taxonomyOwaspLlm, taxonomy?.strs("owasp_llm"));
    put(a, ATTR.taxonomyOwaspApi, taxonomy?.strs("owasp_api"));
    put(a, ATTR.taxonomyMitreAtlas, taxonomy?.strs("mitre_atlas"));
    const rules = evidence?.strs("matched_rules");
    if (rules?.length === 1) put(a, ATTR.ruleUuid, rules[0]);
    if (evidence) put(a, ATTR.evidence, evidence.value);
    a[ATTR.sourceProduct] = "operant";
    a[ATTR.sourceVendor] = "Operant AI";

    const resource: Attributes = {};
    put(resource, RESOURCE_ATTR.serviceName, workload?.str("service"));
    put(resource, RESOURCE_ATTR.environment, r.str("environment"));
    put(resource, RESOURCE_ATTR.k8sCluster, workload?.str("cluster"));
    put(resource, RESOURCE_ATTR.k8sNamespace, workload?.str("namespace"));
    put(resource, RESOURCE_ATTR.k8sPod, workload?.str("pod"));

    const title = r.str("title");
    const summary =
      title ??
      [category ?? "detection", action, agent ? `on agent ${agent}` : undefined]
        .filter(Boolean)
        .join(" ");

    return {
      eventName: DETECTION_EVENT_NAME,
      time: r.time("detected_at", (v) => parseTime(v)),
      severityText: severity ?? "",
      severityKey: severity?.toLowerCase(),
      body: summary,
      attributes: a,
      resource,
      traceId: w3cTraceId(r.str("trace_id")),
      spanId: w3cSpanId(r.str("span_id")),
    };
  },
};
