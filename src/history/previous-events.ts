/**
 * `previousEvents(store, eventId)`: the events of an event's record before it.
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { isUlid } from "../core/ids.ts";
import { storeTenant } from "../core/read-log.ts";
import { rowToEvent } from "../core/record-mapping.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { validationError } from "../core/validation.ts";
import { previousEventsSql } from "../sql/history-statements.ts";
import type { HistoryStore } from "./history-store.ts";
import { pageLimit } from "./page-options.ts";

/**
 * The events written for the same record (same resource, record id and tenant) before
 * `eventId`, found in the store's tenant or, for a resource without tenant, among events
 * without one (the tenant rule of every read of one record, see `HistoryStore`), newest first, at most `limit` (1 to 1000, default 100): what led up to
 * an event, as Spector shows it. Only the event's own resource: events of other resources
 * routed to the record are in {@link history}. One query, the event found in it.
 *
 * @param store any event store (confined to its tenant)
 * @param eventId the event (a ULID)
 * @param options `limit`
 * @returns the earlier events, newest first (empty when the event is the record's first)
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `eventId` (not a ULID) or `limit`; nothing is sent
 * @throws {NotFoundError} code `NOT_FOUND` when no event of the store's tenant (or of a
 *   resource without tenant) has that id
 * @example
 * ```ts
 * import { type HistoryStore, previousEvents, type StoredEvent } from "edge-events";
 *
 * async function justBefore(store: HistoryStore, event: StoredEvent): Promise<StoredEvent | undefined> {
 *   const [previous] = await previousEvents(store, event.id, { limit: 1 });
 *   return previous;
 * }
 * ```
 */
export async function previousEvents(
  store: HistoryStore,
  eventId: string,
  options: { readonly limit?: number } = {},
): Promise<readonly StoredEvent[]> {
  if (!isUlid(eventId)) throw validationError("eventId must be an event id (a ULID)", "eventId");
  const limit = pageLimit(options?.limit);
  const untenanted = [...store.resources.values()].filter((r) => r.tenant === undefined).map((r) => r.name);
  const scope = { tenant: storeTenant(store.context), untenanted };
  const { rows } = await store.db.query(previousEventsSql(store.log, eventId, scope, limit));
  if (rows.length === 0) throw new NotFoundError("event", eventId);
  const events = rows.filter((row) => row["id"] !== null && row["id"] !== undefined).map((row) =>
    rowToEvent(store.log, row)
  );
  return Object.freeze(events);
}
