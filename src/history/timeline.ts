/**
 * `timeline(store, resource, recordId)`: a record's events, each with the record before and
 * after it (the before/after images of Debezium-style change logs), page by page.
 * @module
 */
import type { RecordId } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { type HistoryStore, recordIdText, recordStream, resolveResource, type ResourceArg } from "./history-store.ts";
import { cursorScope, nextCursor, type PageOptions, resolvePage } from "./page-options.ts";
import { readFold } from "./read-fold.ts";
import type { RecordOfArg } from "./state-at.ts";

/** One event of a timeline and the record around it (undefined: no row). */
export interface TimelineEntry<T> {
  /** The event. */
  readonly event: StoredEvent;
  /** The record right before the event. */
  readonly before: T | undefined;
  /** The record right after it (a soft destroy keeps the row; a hard destroy has none). */
  readonly after: T | undefined;
  /** The event was superseded by a later adoption of the record and changed nothing (replay skips it). */
  readonly superseded: boolean;
}

/** One page of a timeline. */
export interface TimelinePage<T> {
  /** In position order (forward) or newest first (backward). */
  readonly entries: readonly TimelineEntry<T>[];
  /** Pass as `cursor` for the next page; `null` when this page is the last one. */
  readonly cursor: string | null;
}

/**
 * A record's events (as {@link history} pages them: same cursor rules, `limit` 1 to 1000,
 * default 100, `forward` or `backward`), each with the record right before and right after
 * it. One query; the fold needs every event before the page too, so the query reads the
 * record's events from its first up to the page's last and folds them all in memory: a page
 * deep into a record of 10,000 events reads 10,000 events (savepoints will bound this).
 *
 * @param store any event store (the tenant rule of `HistoryStore`: a multi-tenant resource in its tenant)
 * @param resource the resource (its definition, or its name)
 * @param recordId the record's primary key
 * @param options `cursor`, `limit`, `direction`
 * @returns the page's entries and the cursor of the next page (`null` after the last)
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId`, `cursor`,
 *   `limit`, `direction` or `tenant` (a multi-tenant resource on a store without one); nothing is sent
 * @throws {FoldError} code `FOLD_FAILED` naming the event that cannot be folded
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource, type HistoryStore, timeline } from "edge-events";
 *
 * const Account = defineResource({
 *   name: "account", table: "accounts",
 *   attributes: v.object({ id: v.string(), balance: v.number() }),
 *   actions: ({ update }) => ({ deposit: update({ input: v.object({ balance: v.number() }) }) }),
 * });
 *
 * async function lastTen(store: HistoryStore, id: string): Promise<void> {
 *   const { entries } = await timeline(store, Account, id, { direction: "backward", limit: 10 });
 *   for (const { event, before, after } of entries) console.log(event.action, before?.balance, after?.balance);
 * }
 * ```
 */
export async function timeline<R extends ResourceArg>(
  store: HistoryStore,
  resource: R,
  recordId: RecordId,
  options: PageOptions = {},
): Promise<TimelinePage<RecordOfArg<R>>> {
  const definition = resolveResource(store, resource);
  const stream = recordStream(store, definition, recordIdText(definition, recordId));
  const scope = cursorScope(store.log.table.sql, "timeline", stream);
  const page = resolvePage(scope, options);
  const forward = page.direction === "forward";
  // A forward page starts from a savepoint at or before the page's start; a backward page from
  // one before its oldest entry (found in the same query: the least of its two points).
  const fold = forward
    ? await readFold(store, definition, stream, [{ kind: "page", after: page.from, limit: page.limit + 1 }], page.from)
    : await readFold(store, definition, stream, [
      { kind: "position", position: page.from - 1n },
      { kind: "before-page", before: page.from, limit: page.limit },
    ], "points");
  const inPage = forward
    ? fold.steps.filter((s) => s.event.position > page.from)
    : fold.steps.filter((s) => s.event.position < page.from).reverse();
  const entries = inPage.slice(0, page.limit).map((s) =>
    Object.freeze({
      event: s.event,
      before: s.before.record as RecordOfArg<R> | undefined,
      after: s.after.record as RecordOfArg<R> | undefined,
      superseded: s.superseded,
    })
  );
  // Backward, a savepoint's own event is older than every entry: there is more.
  const more = inPage.length > page.limit || (!forward && fold.startEvent !== undefined);
  const cursor = nextCursor(scope, page, entries[entries.length - 1]?.event.position, more);
  return Object.freeze({ entries: Object.freeze(entries), cursor });
}
