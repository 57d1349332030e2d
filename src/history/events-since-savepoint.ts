/**
 * A record's events since its newest usable savepoint (Spector's "events since the last
 * savepoint"): what a fold from that savepoint still has to apply.
 * @module
 */
import { foldVersionOf } from "../core/fold-version.ts";
import type { AnyResource } from "../core/resource.ts";
import type { RecordId } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { recordScope, type SavepointStore } from "./record-scope.ts";
import { readFromSavepoint } from "./savepoint.ts";

/** What {@link eventsSinceSavepoint} returns. */
export interface EventsSinceSavepoint {
  /** The position of the newest usable savepoint (same fold version); null when there is none. */
  readonly savepointPosition: bigint | null;
  /** The record's events after it (every event of the record without one), in position order. */
  readonly events: readonly StoredEvent[];
}

/**
 * The events of one record after its newest usable savepoint: a savepoint made by the current
 * fold of the resource (a retired one does not count), so these are exactly the events a
 * `stateAt` of the latest point folds. One read-only batch (the savepoint and the events after
 * it in one snapshot). The store's tenant confines the read as for every read of one record.
 *
 * @param store the store (its tenant confines the read)
 * @param resource a resource the store tracks
 * @param recordId the record
 * @returns the savepoint's position (null: none) and the events after it
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId` or `tenant`,
 *   before anything is sent
 * @example
 * ```ts
 * import { type AnyResource, type EventStore, eventsSinceSavepoint, savepoint } from "edge-events";
 *
 * async function compactIfLong(store: EventStore, Account: AnyResource, id: string): Promise<void> {
 *   const { events } = await eventsSinceSavepoint(store, Account, id);
 *   if (events.length >= 500) await savepoint(store, Account, id);
 * }
 * ```
 */
export async function eventsSinceSavepoint(
  store: SavepointStore,
  resource: AnyResource,
  recordId: RecordId,
): Promise<EventsSinceSavepoint> {
  const scope = recordScope(store, resource, recordId);
  const version = await foldVersionOf(scope.fold, scope.fold.resource);
  const { start, events } = await readFromSavepoint(store, scope, version);
  return Object.freeze({ savepointPosition: start?.position ?? null, events: Object.freeze(events) });
}
