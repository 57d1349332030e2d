/**
 * `feedEnd(store)`: the cursor of the feed's current end, to follow the log from now on
 * without reading what is already in it.
 * @module
 */
import { readFeedEnd } from "./read-log.ts";
import type { EventStore } from "./store-types.ts";

/** What {@link feedEnd} reads from (any {@link EventStore} has it). */
export type FeedEndStore = Pick<EventStore, "log" | "db" | "context" | "resources">;

/** Options of {@link feedEnd}. */
export interface FeedEndOptions {
  /** The end of the feed filtered to this resource (`readFeed({ resource })`). */
  readonly resource?: string;
  /**
   * The end of `readAllTenantsFeed` instead of `readFeed` (a store without a tenant only,
   * else a `TypeError`). Cursors of the two feeds are not interchangeable.
   */
  readonly allTenants?: boolean;
}

/**
 * The cursor of the feed's end: `store.readFeed({ after: cursor })` (with `allTenants`,
 * `readAllTenantsFeed`) returns the events that join the feed after this call, and none that
 * are in it already; on an empty feed, the start. One query, one row. Under tenant or custom
 * lock scopes the feed stops at the visibility horizon, so events committed shortly before
 * the call, behind a transaction still open, may come after the cursor too: an event is never
 * skipped, at worst shown although it is a little older than the call.
 *
 * @param store any event store (its tenant scopes the feed, as for `readFeed`)
 * @param options `resource`, `allTenants`
 * @returns the cursor, for `after`
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource` when it is not a string
 * @throws {TypeError} `allTenants` on a store from `withContext({ tenant })`
 * @example
 * ```ts
 * import { type EventStore, feedEnd } from "edge-events";
 *
 * async function newEventsFromNowOn(store: EventStore): Promise<number> {
 *   const cursor = await feedEnd(store);
 *   const page = await store.readFeed({ after: cursor });
 *   return page.events.length; // events written since feedEnd returned (and the horizon passed)
 * }
 * ```
 */
export async function feedEnd(store: FeedEndStore, options: FeedEndOptions = {}): Promise<string> {
  const env = { log: store.log, db: store.db, ctx: store.context, resources: store.resources };
  return await readFeedEnd(env, { resource: options.resource }, options.allTenants === true);
}
