/**
 * `ancestors(store, eventId)`: the chain of parents of an event in a branching history.
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { isUlid } from "../core/ids.ts";
import { storeTenant } from "../core/read-log.ts";
import { rowToEvent } from "../core/record-mapping.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { validationError } from "../core/validation.ts";
import { ancestorsSql } from "../sql/history-statements.ts";
import type { HistoryStore } from "./history-store.ts";

/** The default bound of {@link ancestors}' walk: the nearest 1000 parents. */
export const DEFAULT_ANCESTOR_DEPTH = 1000;
/** The largest `maxDepth` {@link ancestors} accepts. */
export const MAX_ANCESTOR_DEPTH = 10_000;

/**
 * The chain of parents of `eventId` (each event's `parentId`, from the call's
 * `parentEventId`), root first, the event itself left out: for A ← B ← C and a branch D from
 * B, the ancestors of D are A, B (never C). Parents are events of the same record and tenant
 * (the database refuses other links), so the chain never leaves the record. The event is found
 * in the store's tenant or, for a resource without tenant, among events without one (the rule
 * of `previousEvents`). One query (a recursive CTE over the primary key).
 *
 * **Bound:** at most `maxDepth` parents (1 to 10000, default 1000), the nearest ones. The
 * chain is complete when the first event returned has no parent (`parentId === null`);
 * otherwise call `ancestors` again from that event for the rest.
 *
 * @param store any event store (confined to its tenant)
 * @param eventId the event (a ULID)
 * @param options `maxDepth`
 * @returns the parents, root first (empty for an event without a parent)
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `eventId` (not a ULID) or `maxDepth`; nothing is sent
 * @throws {NotFoundError} code `NOT_FOUND` when no event of the store's tenant (or of a
 *   resource without tenant) has that id
 * @example
 * ```ts
 * import { ancestors, type HistoryStore } from "edge-events";
 *
 * // The messages a chat reply answers, oldest first: its branch of the conversation.
 * async function thread(store: HistoryStore, replyEventId: string): Promise<string[]> {
 *   const chain = await ancestors(store, replyEventId);
 *   return chain.map((event) => String(event.data["text"]));
 * }
 * ```
 */
export async function ancestors(
  store: HistoryStore,
  eventId: string,
  options: { readonly maxDepth?: number } = {},
): Promise<readonly StoredEvent[]> {
  if (typeof eventId !== "string" || !isUlid(eventId)) {
    throw validationError("eventId must be an event id (a ULID)", "eventId");
  }
  const maxDepth = options.maxDepth ?? DEFAULT_ANCESTOR_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_ANCESTOR_DEPTH) {
    throw validationError(`maxDepth must be an integer from 1 to ${MAX_ANCESTOR_DEPTH}`, "maxDepth");
  }
  const untenanted = [...store.resources.values()].filter((r) => r.tenant === undefined).map((r) => r.name);
  const scope = { tenant: storeTenant(store.context), untenanted };
  const { rows } = await store.db.query(ancestorsSql(store.log, eventId, scope, maxDepth));
  if (rows.length === 0) throw new NotFoundError("event", eventId);
  // Root first; the last row is the event itself (depth 0).
  return Object.freeze(rows.slice(0, -1).map((row) => rowToEvent(store.log, row)));
}
