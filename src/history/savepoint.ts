/**
 * Savepoints (snapshots): a record's folded state stored at one of its positions in
 * `<table>_savepoints` (not a fake event), with the fingerprint of the fold that made it
 * (`fold_version`). Reads of a record's state start from the newest usable one and fold only
 * the events after it; a savepoint whose fold version is not the current one is retired, never
 * trusted. `verifySavepoints` folds from the events and names each savepoint that differs.
 * @module
 */
import type { AnyResource } from "../core/resource.ts";
import type { RecordId } from "../core/store-types.ts";
import { validationError } from "../core/validation.ts";
import { newestSavepointSql } from "../sql/savepoint-statements.ts";
import { foldVersionOf } from "../core/fold-version.ts";
import { recordScope, type SavepointStore } from "./record-scope.ts";
import { type SavepointResult, takeSavepoint, type UsableSavepoint, usableSavepoint } from "../core/take-savepoint.ts";

export { foldStartOf, liveState, readFromSavepoint } from "../core/take-savepoint.ts";
export type { SavepointResult, UsableSavepoint } from "../core/take-savepoint.ts";

function checkPosition(position: unknown): bigint | null {
  if (position === undefined) return null;
  if (typeof position !== "bigint" || position < 0n || position >= 1n << 63n) {
    throw validationError("atOrBeforePosition must be a bigint from 0 to 2^63-1", "atOrBeforePosition", "range");
  }
  return position;
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
  return usableSavepoint(scope.fold.resource, rows[0]);
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
  return await takeSavepoint(store, recordScope(store, resource, recordId));
}
