/**
 * `materialize`: rebuild one record's row from its events (the row was lost or damaged). One
 * read of the record's events, a fold in memory (`foldRecord`, the same effects as replay),
 * then one write batch under the record's write locks (`<table>_begin_write`, as the write
 * path takes them) that checks in SQL that the record's latest event is still the one folded
 * and inserts the row (or, with `overwrite`, replaces it). Writes no event.
 * @module
 */
import {
  ConflictError,
  isEdgeEventsError,
  ReplayInProgressError,
  RowExistsError,
  type StorageError,
} from "../core/errors.ts";
import type { SqlParam } from "../core/executor.ts";
import { rowToEvent, rowToRecord, toParam } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import type { EventStore, RecordId } from "../core/store-types.ts";
import { validationError } from "../core/validation.ts";
import { writeTarget } from "../core/write-plan.ts";
import { writeLockKey } from "../core/lock-key.ts";
import { REPLAY_IN_PROGRESS_SQLSTATE, STALE_SQLSTATE } from "../sql/event-log-ddl.ts";
import {
  deleteRowSql,
  latestPositionCheckSql,
  recordEventsSql,
  ROW_EXISTS_SQLSTATE,
  rowAbsentCheckSql,
} from "../sql/savepoint-statements.ts";
import { insertRecordSql } from "../sql/write-statements.ts";
import { writePreludeSql } from "../sql/write-prelude.ts";
import { foldRecord } from "../core/record-fold.ts";
import { recordScope, type SavepointStore } from "./record-scope.ts";
import { liveState } from "./savepoint.ts";

/** What `materialize` reads from the store (any {@link EventStore} has it). */
export type MaterializeStore = SavepointStore & Pick<EventStore, "clock">;

/** Options of {@link materialize}. */
export interface MaterializeOptions {
  /** Replace the record's row when it exists (a damaged row). Default false: `ROW_EXISTS`. */
  readonly overwrite?: boolean;
}

/** What {@link materialize} wrote. */
export interface MaterializeResult {
  /** The row written, as a record. */
  readonly record: Record<string, unknown>;
  /** The position of the record's latest event, which the row reflects. */
  readonly position: bigint;
  /** Whether a row was replaced (`overwrite` and a row existed). */
  readonly replaced: boolean;
}

function checkOptions(options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw validationError("options must be an object", "options", "type");
  }
  const overwrite = (options as MaterializeOptions).overwrite;
  if (overwrite !== undefined && typeof overwrite !== "boolean") {
    throw validationError("overwrite must be a boolean", "overwrite", "type");
  }
  return overwrite === true;
}

function sqlState(error: unknown): string | undefined {
  return isEdgeEventsError(error, "STORAGE_FAILURE") ? (error as StorageError).sqlState : undefined;
}

/**
 * Rebuild one record's row from its events: read them (one round trip), fold them as replay
 * would, then one write batch that takes the record's write locks (every lock key its actions
 * take, and the fence: refused while a replay runs), checks that the record's latest event is
 * still the one folded, and inserts the row (with `overwrite`, deletes the row first). The row
 * equals the one the live writes left, to the microsecond. Writes no event and runs no hook.
 *
 * @param store the store (its tenant confines the read)
 * @param resource a resource the store tracks
 * @param recordId the record
 * @param options `overwrite`: replace an existing row
 * @returns the row written and the position it reflects
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId`, `tenant`,
 *   `options` or `overwrite`, before anything is sent
 * @throws {NotFoundError} code `NOT_FOUND` when the record has no events
 * @throws {RecordDestroyedError} code `RECORD_DESTROYED` when its history ends in a destroy
 * @throws {RowExistsError} code `ROW_EXISTS` when its row exists and `overwrite` is not set
 * @throws {ConflictError} code `CONFLICT` when an event of the record was written between the
 *   read and the write batch (nothing written: call again)
 * @throws {ReplayInProgressError} code `REPLAY_IN_PROGRESS` while a replay runs
 * @throws {FoldError} code `FOLD_FAILED` naming an event that cannot be folded
 * @throws {TypeError} for an event-only resource (`table: false`): it has no row
 * @example
 * ```ts
 * import { type AnyResource, materialize, type MaterializeStore } from "edge-events";
 *
 * async function rebuildRow(store: MaterializeStore, Account: AnyResource, id: string) {
 *   const { record } = await materialize(store, Account, id, { overwrite: true });
 *   return record;
 * }
 * ```
 */
export async function materialize(
  store: MaterializeStore,
  resource: AnyResource,
  recordId: RecordId,
  options?: MaterializeOptions,
): Promise<MaterializeResult> {
  const scope = recordScope(store, resource, recordId);
  const overwrite = checkOptions(options);
  const definition = scope.fold.resource;
  const table = definition.table;
  if (table === null) {
    throw new TypeError(`${definition.name} has no table (table: false): there is no row to materialize`);
  }
  const { rows } = await store.db.query(recordEventsSql(store.log, scope.filter));
  const fold = await foldRecord(scope.fold, rows.map((row) => rowToEvent(store.log, row)));
  const state = liveState(scope.filter, fold);
  const position = fold.position!;
  const values: Record<string, SqlParam> = {};
  for (const [key, value] of Object.entries(state)) {
    // A pinned timestamp keeps its stored text, as replay writes it (microseconds).
    values[key] = fold.state.timestampTexts[key] ?? toParam(definition, key, value);
  }
  const id = values[definition.primaryKey.attribute] ?? scope.filter.recordId;
  const target = writeTarget(definition);
  const tenant = scope.filter.tenant;
  const keys = Object.keys(definition.actions).map((action) =>
    writeLockKey(store.log.lock, { resource: definition.name, action, tenant })
  );
  const pkColumn = definition.columns[definition.primaryKey.attribute]!;
  const statements = [
    writePreludeSql(store.log, keys, [tenant], store.clock()),
    latestPositionCheckSql(store.log, scope.filter, position, STALE_SQLSTATE),
    overwrite ? deleteRowSql(table.sql, pkColumn, id) : rowAbsentCheckSql(store.log, table.sql, pkColumn, id),
    insertRecordSql(store.log, target, values, null),
  ];
  try {
    const results = await store.db.batch(statements);
    const row = results[3]!.rows[0]!;
    return { record: rowToRecord(definition, row), position, replaced: overwrite && (results[2]!.rowCount ?? 0) > 0 };
  } catch (error) {
    const code = sqlState(error);
    if (code === STALE_SQLSTATE) {
      throw new ConflictError("The record changed while it was materialized; nothing was written", 1, { cause: error });
    }
    if (code === ROW_EXISTS_SQLSTATE || code === "23505") {
      throw new RowExistsError(definition.name, scope.filter.recordId, { cause: error });
    }
    if (code === REPLAY_IN_PROGRESS_SQLSTATE) throw new ReplayInProgressError({ cause: error });
    throw error;
  }
}
