/**
 * `history(store, resource, recordId)`: one record's events, page by page, forwards or
 * backwards, behind an opaque keyset cursor.
 * @module
 */
import { rowToEvent } from "../core/record-mapping.ts";
import type { RecordId } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { historyPageSql } from "../sql/history-statements.ts";
import { type HistoryStore, recordIdText, recordStream, resolveResource, type ResourceArg } from "./history-store.ts";
import { cursorScope, nextCursor, type PageOptions, resolvePage } from "./page-options.ts";

/** One page of a record's history. */
export interface HistoryPage {
  /** The events, in position order (forward) or newest first (backward). */
  readonly events: readonly StoredEvent[];
  /** Pass as `cursor` for the next page; `null` when this page is the last one. */
  readonly cursor: string | null;
}

/**
 * One record's events: its own, and events of other resources that a `replayOverrides` route
 * sends to it (the events its state is folded from), in the record's tenant (a multi-tenant
 * resource: the store's; otherwise none, see `HistoryStore`). One query,
 * a range of the `(resource, record_id, position)` index (never OFFSET), however deep the page.
 *
 * @param store any event store (a multi-tenant resource: a store from `withContext({ tenant })`)
 * @param resource the resource (its definition, or its name)
 * @param recordId the record's primary key
 * @param options `cursor` (of the previous page), `limit` (1 to 1000, default 100), `direction`
 * @returns the page and the cursor of the next one (`null` after the last event)
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource` (an unknown name),
 *   `recordId`, `cursor` (malformed, edited, or from another read, record, tenant or direction),
 *   `limit`, `direction` or `tenant` (a multi-tenant resource on a store without one); nothing is sent
 * @throws {TypeError} for a resource definition that is not part of the store
 * @example
 * ```ts
 * import { type AnyResource, history, type HistoryStore } from "edge-events";
 *
 * async function everyEvent(store: HistoryStore, Account: AnyResource, id: string): Promise<number> {
 *   let page = await history(store, Account, id, { limit: 50 });
 *   let count = page.events.length;
 *   while (page.cursor !== null) {
 *     page = await history(store, Account, id, { cursor: page.cursor });
 *     count += page.events.length;
 *   }
 *   return count;
 * }
 * ```
 */
export async function history(
  store: HistoryStore,
  resource: ResourceArg,
  recordId: RecordId,
  options: PageOptions = {},
): Promise<HistoryPage> {
  const definition = resolveResource(store, resource);
  const stream = recordStream(store, definition, recordIdText(definition, recordId));
  const scope = cursorScope(store.log.table.sql, "history", stream);
  const page = resolvePage(scope, options);
  const { rows } = await store.db.query(historyPageSql(store.log, stream, { ...page, limit: page.limit + 1 }));
  const events = rows.slice(0, page.limit).map((row) => rowToEvent(store.log, row));
  const cursor = nextCursor(scope, page, events[events.length - 1]?.position, rows.length > page.limit);
  return Object.freeze({ events: Object.freeze(events), cursor });
}
