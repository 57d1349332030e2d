/**
 * Taking a savepoint of one record: read its newest usable savepoint and the events after it
 * (one snapshot), fold, store the state at its latest position. In core because the write path
 * takes automatic savepoints (`savepointEvery`); `savepoint()` of src/history is the public
 * function over it.
 * @module
 */
import type { Executor } from "./executor.ts";
import type { EventLog } from "./event-log.ts";
import { NotFoundError, RecordDestroyedError } from "./errors.ts";
import type { JsonObject } from "./json.ts";
import { parseJson, rowToEvent } from "./record-mapping.ts";
import type { AnyResource } from "./resource.ts";
import type { StoredEvent } from "./stored-event.ts";
import { foldRecord, type FoldStart, NO_RECORD, type RecordFold, type RecordFoldEnv } from "./record-fold.ts";
import { foldVersionOf } from "./fold-version.ts";
import { decodeState, encodeState } from "./savepoint-state.ts";
import {
  eventsAfterSavepointSql,
  insertSavepointSql,
  newestSavepointSql,
  type RecordEventsFilter,
} from "../sql/savepoint-statements.ts";

/** A savepoint read back: the record's state at `position`. */
export interface UsableSavepoint {
  /** The record's state, revived. */
  readonly state: Record<string, unknown>;
  /** The position of the last event folded into it. */
  readonly position: bigint;
  /** The exact stored text of timestamp attributes (microseconds a Date cannot hold). */
  readonly timestampTexts: Readonly<Record<string, string>>;
}

/** What a savepoint stored. */
export interface SavepointResult {
  /** The position of the record's latest event: where the savepoint stands. */
  readonly position: bigint;
  /** The state stored. */
  readonly state: Record<string, unknown>;
  /** The fold version it records. */
  readonly foldVersion: string;
  /** Events folded after the newest usable savepoint (0: it was already at the latest event). */
  readonly folded: number;
  /** Whether a savepoint row was written (false when the newest one already stood there). */
  readonly written: boolean;
}

/** One record, checked: its fold environment and its events' filter. */
export interface SavepointTarget {
  readonly fold: RecordFoldEnv;
  readonly filter: RecordEventsFilter;
}

/** What taking a savepoint sends through. */
export interface SavepointEnv {
  readonly log: EventLog;
  readonly db: Executor;
}

/** Where a fold from a savepoint starts. */
export function foldStartOf(savepoint: UsableSavepoint): FoldStart {
  return {
    position: savepoint.position,
    state: { ...NO_RECORD, record: savepoint.state, timestampTexts: savepoint.timestampTexts },
  };
}

/** A savepoint row (`newestSavepointSql`) revived; undefined for no row. */
export function usableSavepoint(
  resource: AnyResource,
  row: Record<string, unknown> | undefined,
): UsableSavepoint | undefined {
  if (row === undefined) return undefined;
  const { state, timestampTexts } = decodeState(resource, parseJson(row["state"]));
  return { state, position: BigInt(String(row["position"])), timestampTexts };
}

/** The newest usable savepoint and the events after it, in one read-only snapshot. */
export async function readFromSavepoint(
  env: SavepointEnv,
  target: SavepointTarget,
  version: string,
): Promise<{ start: UsableSavepoint | undefined; events: StoredEvent[] }> {
  const [savepoints, events] = await env.db.batch([
    newestSavepointSql(env.log, target.filter, version, null),
    eventsAfterSavepointSql(env.log, target.filter, version),
  ], { readOnly: true, isolationLevel: "RepeatableRead" });
  return {
    start: usableSavepoint(target.fold.resource, savepoints!.rows[0]),
    events: events!.rows.map((row) => rowToEvent(env.log, row)),
  };
}

/**
 * The record's state from a fold, or the typed error for a record without one.
 * @throws {NotFoundError} code `NOT_FOUND` when no event created it
 * @throws {RecordDestroyedError} code `RECORD_DESTROYED` when its history ends in a destroy
 */
export function liveState(filter: RecordEventsFilter, fold: RecordFold): Record<string, unknown> {
  if (fold.state.record !== undefined) return { ...fold.state.record };
  const last = fold.last;
  if (last !== undefined && last.actionType === "destroy") {
    throw new RecordDestroyedError(filter.resource, filter.recordId, {
      position: last.position,
      destroyedAt: last.occurredAt,
    });
  }
  throw new NotFoundError(filter.resource, filter.recordId);
}

/**
 * Store a savepoint of a checked record at its latest event: one read, then one write (none
 * when the newest savepoint already stands there). See `savepoint()` for the errors.
 */
export async function takeSavepoint(env: SavepointEnv, target: SavepointTarget): Promise<SavepointResult> {
  const sensitive = sensitiveAttribute(target.fold.resource);
  if (sensitive !== undefined) {
    // A savepoint stores the folded state as JSON: the attribute would be stored in clear.
    throw new TypeError(`${target.fold.resource.name}.${sensitive} is sensitive: its records take no savepoints`);
  }
  const foldVersion = await foldVersionOf(target.fold, target.fold.resource);
  const { start, events } = await readFromSavepoint(env, target, foldVersion);
  const from = start === undefined ? undefined : foldStartOf(start);
  const fold = await foldRecord(target.fold, events, { from });
  const state = liveState(target.filter, fold);
  const position = fold.position!;
  if (fold.folded === 0) return { position, state, foldVersion, folded: 0, written: false };
  const json: JsonObject = encodeState(target.fold.resource, { state, timestampTexts: fold.state.timestampTexts });
  await env.db.query(insertSavepointSql(env.log, target.filter, {
    position,
    state: JSON.stringify(json),
    foldVersion,
  }));
  return { position, state, foldVersion, folded: fold.folded, written: true };
}

/** The first attribute of `resource` marked sensitive (an input-only mark is none). */
export function sensitiveAttribute(resource: AnyResource): string | undefined {
  return Object.keys(resource.sensitive).find((key) => resource.attributeNames.includes(key));
}
