export type { CompiledStatement, CompileOptions, Condition } from "./compile.js";
export { compileCondition, compileStatement, compileValue } from "./compile.js";
export { type Guard, guarded } from "./error-mode.js";
export { OttlParseError, OttlRuntimeError } from "./errors.js";
export type { Getter } from "./functions.js";
export type { PathContext, WriteTarget } from "./paths.js";
export type { Value } from "./values.js";
