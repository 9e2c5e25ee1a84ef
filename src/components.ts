import type { AnyFactory } from "./component/component.js";
import { Registry } from "./component/registry.js";
import { debugFactory } from "./exporters/debug/factory.js";
import { fileFactory } from "./exporters/file/factory.js";
import { batchFactory } from "./processors/batch/factory.js";
import { detectionsFactory } from "./receivers/detections/factory.js";

/** Every component Tripline ships. Nothing else in the code knows component type names. */
export const factories: readonly AnyFactory[] = [
  detectionsFactory,
  batchFactory,
  debugFactory,
  fileFactory,
] as AnyFactory[];

export const registry = new Registry(factories);
