/**
 * Savepoints (snapshots): a record's folded state stored at one of its positions in
 * `<table>_savepoints` (not a fake event), with the fingerprint of the fold that made it
 * (`fold_version`). Reads of a record's state start from the newest usable one and fold only
 * the events after it; a savepoint whose fold version is not the current one is retired, never
 * trusted. `verifySavepoints` folds from the events and names each savepoint that differs.
 * @module
 */
import { NotFoundError, RecordDestroyedError } from "../core/errors.ts";
import type { JsonObject } from "../core/json.ts";
import { parseJson, rowToEvent } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import type { RecordId } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { validationError } from "../core/validation.ts";
import {
  eventsAfterSavepointSql,
  insertSavepointSql,
  newestSavepointSql,
  type RecordEventsFilter,
} from "../sql/savepoint-statements.ts";
import { foldRecord, type FoldStart, NO_RECORD, type RecordFold } from "../core/record-fold.ts";
import { foldVersionOf } from "../core/fold-version.ts";
import { type RecordScope, recordScope, type SavepointStore } from "./record-scope.ts";
import { decodeState, encodeState } from "../core/savepoint-state.ts";

/** A savepoint read back: the record's state at `position`. */
export interface UsableSavepoint {
  /** The record's state, revived. */
  readonly state: Record<string, unknown>;
  /** The position of the last event folded into it. */
  readonly position: bigint;
  /** The exact stored text of timestamp attributes (microseconds a Date cannot hold). */
  readonly timestampTexts: Readonly<Record<string, string>>;
}

/** What {@link savepoint} stored. */
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

function checkPosition(position: unknown): bigint | null {
  if (position === undefined) return null;
  if (typeof position !== "bigint" || position < 0n || position >= 1n << 63n) {
    throw validationError("atOrBeforePosition must be a bigint from 0 to 2^63-1", "atOrBeforePosition", "range");
  }
  return position;
}

/** Where a fold from a savepoint starts. */
export function foldStartOf(savepoint: UsableSavepoint): FoldStart {
  return {
    position: savepoint.position,
    state: { ...NO_RECORD, record: savepoint.state, timestampTexts: savepoint.timestampTexts },
  };
}

function usable(resource: AnyResource, row: Record<string, unknown> | undefined): UsableSavepoint | undefined {
  if (row === undefined) return undefined;
  const { state, timestampTexts } = decodeState(resource, parseJson(row["state"]));
  return { state, position: BigInt(String(row["position"])), timestampTexts };
}

/**
 * The newest savepoint of a record made by the current fold of its resource, at or before
 * `atOrBeforePosition` (any position when omitted); undefined when there is none. One query.
 * Where `stateAt` and the state of event-only records start: fold only the events after it.
 *
 * @param store the store (its tenant confines the read)
 * @param resource a resource the store tracks
 * @param recordId the record
 * @param atOrBeforePosition the latest position the savepoint may stand at
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId`, `tenant`
 *   or `atOrBeforePosition`, before anything is sent
 * @example
 * ```ts
 * import type { AnyResource, EventStore, StoredEvent } from "edge-events";
 * import { foldRecord } from "../core/record-fold.ts";
 * import { foldStartOf, newestUsableSavepoint } from "./savepoint.ts";
 *
 * async function stateFrom(store: EventStore, Account: AnyResource, id: string, eventsAfter: StoredEvent[]) {
 *   const start = await newestUsableSavepoint(store, Account, id, 1200n);
 *   const env = { log: store.log, resources: store.resources, resource: Account, recordId: id };
 *   const fold = await foldRecord(env, eventsAfter, { from: start === undefined ? undefined : foldStartOf(start) });
 *   return fold.state.record;
 * }
 * ```
 */
export async function newestUsableSavepoint(
  store: SavepointStore,
  resource: AnyResource,
  recordId: RecordId,
  atOrBeforePosition?: bigint,
): Promise<UsableSavepoint | undefined> {
  const scope = recordScope(store, resource, recordId);
  const upTo = checkPosition(atOrBeforePosition);
  const version = await foldVersionOf(scope.fold, scope.fold.resource);
  const { rows } = await store.db.query(newestSavepointSql(store.log, scope.filter, version, upTo));
  return usable(scope.fold.resource, rows[0]);
}

/** The newest usable savepoint and the events after it, in one read-only snapshot. */
export async function readFromSavepoint(
  store: SavepointStore,
  scope: RecordScope,
  version: string,
): Promise<{ start: UsableSavepoint | undefined; events: StoredEvent[] }> {
  const [savepoints, events] = await store.db.batch([
    newestSavepointSql(store.log, scope.filter, version, null),
    eventsAfterSavepointSql(store.log, scope.filter, version),
  ], { readOnly: true, isolationLevel: "RepeatableRead" });
  return {
    start: usable(scope.fold.resource, savepoints!.rows[0]),
    events: events!.rows.map((row) => rowToEvent(store.log, row)),
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
 * Store a savepoint of a record: its state at its latest event, folded from its newest usable
 * savepoint (or from its first event) through the same routing, upcasters and pinned
 * `changes` as replay. One read (the savepoint and the events after it, one snapshot), then
 * one write; none when the newest savepoint already stands at the latest event. Writes no event.
 *
 * @param store the store (its tenant confines the read and the savepoint)
 * @param resource a resource the store tracks
 * @param recordId the record
 * @returns where the savepoint stands, its state and fold version
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId` or `tenant`
 *   (nothing sent), or the attribute whose value would not revive exactly (nothing written)
 * @throws {NotFoundError} code `NOT_FOUND` when the record has no events
 * @throws {RecordDestroyedError} code `RECORD_DESTROYED` when its history ends in a destroy
 * @throws {FoldError} code `FOLD_FAILED` naming an event that cannot be folded
 * @example
 * ```ts
 * import { type AnyResource, savepoint, type SavepointStore } from "edge-events";
 *
 * async function saveAccount(store: SavepointStore, Account: AnyResource, id: string): Promise<bigint> {
 *   const { position } = await savepoint(store, Account, id);
 *   return position;
 * }
 * ```
 */
export async function savepoint(
  store: SavepointStore,
  resource: AnyResource,
  recordId: RecordId,
): Promise<SavepointResult> {
  const scope = recordScope(store, resource, recordId);
  const foldVersion = await foldVersionOf(scope.fold, scope.fold.resource);
  const { start, events } = await readFromSavepoint(store, scope, foldVersion);
  const from = start === undefined ? undefined : foldStartOf(start);
  const fold = await foldRecord(scope.fold, events, { from });
  const state = liveState(scope.filter, fold);
  const position = fold.position!;
  if (fold.folded === 0) return { position, state, foldVersion, folded: 0, written: false };
  const json: JsonObject = encodeState(scope.fold.resource, { state, timestampTexts: fold.state.timestampTexts });
  await store.db.query(insertSavepointSql(store.log, scope.filter, {
    position,
    state: JSON.stringify(json),
    foldVersion,
  }));
  return { position, state, foldVersion, folded: fold.folded, written: true };
}
