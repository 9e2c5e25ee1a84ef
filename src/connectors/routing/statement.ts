import {
  type CompileOptions,
  type Condition,
  compileCondition,
  OttlParseError,
} from "../../expr/index.js";

const ROUTE = /^(\s*route\s*\(\s*\)\s*)(?:where\b(.*))?$/s;

/**
 * The condition of a `route() where <condition>` statement. `route` is the routing
 * connector's own editor, so the statement is taken apart here and its condition compiled
 * with the shared engine; errors keep columns relative to the whole statement.
 */
export function routeCondition(statement: string, options: CompileOptions): Condition {
  const match = ROUTE.exec(statement);
  if (!match) {
    throw new OttlParseError('expected "route() where <condition>"', 1, statement);
  }
  if (match[2] === undefined) {
    if (statement.slice(match[1]!.length).trim() !== "") {
      throw new OttlParseError('expected "where" after route()', match[1]!.length + 1, statement);
    }
    return () => true;
  }
  const offset = match[1]!.length + "where".length;
  try {
    return compileCondition(match[2], options);
  } catch (error) {
    if (!(error instanceof OttlParseError)) throw error;
    throw new OttlParseError(error.reason, error.column + offset, statement);
  }
}
