import type { PresetName } from "../config.js";
import type { Preset } from "../mapping.js";
import { execlave } from "./execlave.js";
import { falco } from "./falco.js";
import { generic } from "./generic.js";
import { ocsf } from "./ocsf.js";
import { operant } from "./operant.js";

/**
 * Every preset by name. A receiver that maps inline should use DetectionMapper (../mapper.ts),
 * which adds severity resolution, keep_raw and resource interning around a preset.
 */
export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  operant,
  execlave,
  falco,
  ocsf,
  generic,
};

export type { Mapped, Payload, Preset } from "../mapping.js";
export { MappingError } from "../mapping.js";
