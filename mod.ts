/**
 * edge-events: event sourcing and audit trails for edge functions over Postgres
 * spoken through SQL-over-HTTP.
 * @module
 */
export { EdgeEventsError, isEdgeEventsError, StorageError } from "./src/core/errors.ts";
export type { EdgeEventsErrorCode, EdgeEventsErrorOptions } from "./src/core/errors.ts";
export type {
  BatchOptions,
  Executor,
  IsolationLevel,
  QueryResult,
  Row,
  SqlParam,
  SqlStatement,
} from "./src/core/executor.ts";
