import { ATTR, DETECTION_EVENT_NAME, RESOURCE_ATTR } from "../../../pdata/detection.js";
import type { Attributes } from "../../../pdata/value.js";
import {
  type Mapped,
  MappingError,
  type Payload,
  type Preset,
  put,
  snakeCase,
} from "../mapping.js";
import { Reader } from "../read.js";
import { parseTime } from "../time.js";

/** OCSF classes this preset reads: Security Finding and Detection Finding. */
const CLASSES: Record<string, string> = { "2001": "Security Finding", "2004": "Detection Finding" };

/** severity_id (and its caption) → level; 0 Unknown and 99 Other fall to default_severity. */
const SCALE = {
  "1": "info",
  "2": "low",
  "3": "medium",
  "4": "high",
  "5": "critical",
  "6": "critical",
  informational: "info",
  low: "low",
  medium: "medium",
  high: "high",
  critical: "critical",
  fatal: "critical",
} as const;

const SEVERITY_CAPTION: Record<string, string> = {
  "0": "Unknown",
  "1": "Informational",
  "2": "Low",
  "3": "Medium",
  "4": "High",
  "5": "Critical",
  "6": "Fatal",
  "99": "Other",
};

/** disposition_id → detection.action; ids not listed use the snake_cased `disposition` caption. */
const DISPOSITION_ACTION: Record<string, string> = {
  "1": "allowed",
  "2": "blocked",
  "3": "segmented", // Quarantined
  "4": "segmented", // Isolated
  "5": "blocked", // Deleted
  "6": "blocked", // Dropped
  "11": "redacted", // Corrected
  "12": "redacted", // Partially Corrected
  "14": "flagged_for_review", // Delayed
  "15": "observed", // Detected
  "16": "observed", // No Action
  "17": "observed", // Logged
  "19": "observed", // Alert
  "24": "blocked", // Access Revoked
  "25": "blocked", // Rejected
  "26": "blocked", // Unauthorized
};

/** action_id (Security Control profile) → detection.action, used when disposition_id is absent. */
const ACTION: Record<string, string> = {
  "1": "allowed",
  "2": "blocked",
  "3": "observed",
  "4": "redacted",
};

function actionOf(r: Reader): string | undefined {
  const disposition = r.str("disposition_id");
  if (disposition !== undefined && disposition !== "0") {
    const caption = r.str("disposition");
    return DISPOSITION_ACTION[disposition] ?? (caption ? snakeCase(caption) : undefined);
  }
  const action = r.str("action_id");
  return action !== undefined ? ACTION[action] : undefined;
}

/** OCSF Detection Finding (class 2004) and Security Finding (class 2001) events. */
export const ocsf: Preset = {
  scale: SCALE,
  map(payload: Payload): Mapped {
    const r = new Reader(payload);
    const classUid = r.str("class_uid");
    if (classUid === undefined) throw new MappingError("not an OCSF event: class_uid is missing");
    if (!CLASSES[classUid])
      throw new MappingError(
        `class_uid ${classUid} is not supported; expected 2004 (Detection Finding) or 2001 (Security Finding)`,
      );
    // OCSF 1.0 Security Findings carry the same details under `finding`.
    const info = r.obj("finding_info") ?? r.obj("finding");
    const analytic = info?.obj("analytic");
    const product = r.obj("metadata")?.obj("product");
    const actor = r.obj("actor");
    const user = actor?.obj("user");
    const types = info?.strs("types");
    const techniques = (info?.objs("attacks") ?? [])
      .map((attack) => attack.obj("technique")?.str("uid"))
      .filter((uid): uid is string => uid !== undefined);

    const severityId = r.str("severity_id");
    const caption = r.str("severity");
    // Looked up by id, so severity_map can name "0" or "99"; the caption only when there is no id.
    const severityKey = (severityId ?? caption)?.toLowerCase();

    const a: Attributes = {};
    put(a, ATTR.id, info?.str("uid") ?? r.obj("metadata")?.str("uid"));
    put(a, ATTR.category, types?.[0] !== undefined ? snakeCase(types[0]) : undefined);
    put(a, ATTR.action, actionOf(r));
    const score = r.num("confidence_score");
    put(a, ATTR.confidence, score !== undefined ? score / 100 : undefined);
    put(a, ATTR.description, info?.str("desc"));
    put(a, ATTR.ruleName, analytic?.str("name"));
    put(a, ATTR.ruleUuid, analytic?.str("uid"));
    // ATLAS technique ids start with AML.; the rest are ATT&CK.
    put(
      a,
      ATTR.taxonomyMitreAtlas,
      techniques.filter((t) => t.startsWith("AML.")),
    );
    put(
      a,
      ATTR.taxonomyMitreAttack,
      techniques.filter((t) => !t.startsWith("AML.")),
    );
    put(a, ATTR.userId, user?.str("uid"));
    put(a, ATTR.userName, user?.str("name"));
    put(a, ATTR.sessionId, actor?.obj("session")?.str("uid"));
    put(a, "ocsf.class_uid", Number(classUid));
    put(a, "ocsf.finding_info.types", types);
    put(
      a,
      "ocsf.resources",
      r.raw("resources") !== undefined ? r.objs("resources")!.map((x) => x.value) : undefined,
    );
    put(a, ATTR.sourceProduct, product?.str("name"));
    put(a, ATTR.sourceVendor, product?.str("vendor_name"));

    const resource: Attributes = {};
    put(resource, RESOURCE_ATTR.hostName, r.obj("device")?.str("hostname"));
    put(resource, RESOURCE_ATTR.cloudRegion, r.obj("cloud")?.str("region"));
    put(resource, RESOURCE_ATTR.cloudAccount, r.obj("cloud")?.obj("account")?.str("uid"));

    const title = info?.str("title");
    return {
      eventName: DETECTION_EVENT_NAME,
      time: r.time("time", (v) => parseTime(v, "ms")),
      severityText:
        caption ?? (severityId !== undefined ? (SEVERITY_CAPTION[severityId] ?? severityId) : ""),
      severityKey,
      body: title ?? r.str("message") ?? info?.str("desc") ?? CLASSES[classUid]!,
      attributes: a,
      resource,
    };
  },
};
