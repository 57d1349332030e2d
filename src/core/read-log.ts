/**
 * The read side of the store: one record's history and snapshots (`readEvents`), the feed
 * (`readFeed`), both scoped to the store's tenant, and their explicit all-tenants forms.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { Executor } from "./executor.ts";
import type { ActionContext } from "./context.ts";
import type { FeedPage, ReadEventsOptions, ReadFeedOptions } from "./store-types.ts";
import type { StoredEvent } from "./stored-event.ts";
import { rowToEvent } from "./record-mapping.ts";
import type { AnyResource } from "./resource.ts";
import { canonicalRecordId, canonicalTenant } from "./canonical-id.ts";
import { checkText } from "./well-formed-text.ts";
import { validationError } from "./validation.ts";
import { decodeFeedCursor, encodeFeedCursor, FEED_START, type FeedScope } from "./feed-cursor.ts";
import { feedEndSql, readEventsSql, readFeedSql, type TenantFilter } from "../sql/read-events.ts";

/** What the reads need from the store. */
export interface ReadEnv {
  readonly log: EventLog;
  readonly db: Executor;
  /** The store's context: its tenant scopes every read. */
  readonly ctx: ActionContext;
  /** The store's resources by name (a uuid record id is read in its canonical spelling). */
  readonly resources: ReadonlyMap<string, AnyResource>;
}

/** Whether every write of the log takes the one global key (positions commit in order). */
function globalScope(log: EventLog): boolean {
  return "scope" in log.lock && log.lock.scope === "global";
}

/**
 * The tenant a store's reads are confined to: its context's tenant, as the write path
 * stores it (`String(tenant)`), or `null` on an unscoped store (events without a tenant).
 */
export function storeTenant(ctx: ActionContext): string | null {
  const tenant = ctx.tenant;
  if (tenant === undefined || tenant === null) return null;
  if (tenant === "") throw validationError("The store's tenant is empty", "tenant", "missing");
  // As the write path stores it: a UUID tenant in lower case.
  return String(canonicalTenant(tenant));
}

function refuseOnScopedStore(ctx: ActionContext, operation: string): void {
  if (ctx.tenant !== undefined && ctx.tenant !== null) {
    throw new TypeError(
      `${operation} reads every tenant: call it on a store without a tenant, not on one from withContext({ tenant })`,
    );
  }
}

/** Check the arguments every read shares, before anything is sent. */
function checkReadOptions(
  options: { readonly limit?: unknown; readonly resource?: unknown; readonly recordId?: unknown },
): void {
  const { limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= 10_000)) {
    throw validationError("limit must be an integer from 1 to 10000", "limit", "range");
  }
  for (const key of ["resource", "recordId"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== "string") throw validationError(`${key} must be a string`, key, "type");
    checkText(value, key); // NUL or a lone surrogate would reach Postgres as a bare STORAGE_FAILURE
  }
}

async function readEventsWith(env: ReadEnv, options: ReadEventsOptions, tenant: TenantFilter): Promise<StoredEvent[]> {
  checkReadOptions(options);
  if (options.afterPosition !== undefined) {
    if (options.recordId === undefined) {
      throw validationError(
        "afterPosition pages one record's history (with recordId); follow the log with readFeed",
        "afterPosition",
      );
    }
    const after = options.afterPosition;
    // A literal (the largest bigint column value): past it Postgres would refuse the parameter
    // with a bare STORAGE_FAILURE.
    if (typeof after !== "bigint" || after < 0n || after > 9223372036854775807n) {
      throw validationError("afterPosition must be a bigint from 0 to 2^63 - 1", "afterPosition", "type");
    }
  }
  // One record's writes are serialized (its lock key, its row lock), so its positions commit
  // in order and its history needs no horizon. A snapshot of the log (a first look, not a way
  // to follow it: that is readFeed) stops at the horizon where positions can commit out of
  // order, as it always did: it shows only transactions older than every open one.
  const horizon = !globalScope(env.log) && options.recordId === undefined;
  const { afterPosition, limit, resource } = options;
  const definition = resource === undefined ? undefined : env.resources.get(resource);
  const recordId = definition === undefined || options.recordId === undefined
    ? options.recordId
    : canonicalRecordId(definition, options.recordId);
  const filter = { afterPosition, limit, resource, recordId, tenant };
  const result = await env.db.query(readEventsSql(env.log, filter, horizon));
  return result.rows.map((row) => rowToEvent(env.log, row));
}

async function readFeedWith(env: ReadEnv, options: ReadFeedOptions, tenant: TenantFilter): Promise<FeedPage> {
  checkReadOptions(options);
  const scope: FeedScope = { table: env.log.table.sql, tenant, resource: options.resource };
  const after = options.after === undefined ? FEED_START : decodeFeedCursor(scope, options.after);
  // Under the global lock every transaction that appends events takes the lock before its
  // first write, so before it has a tx_id or draws a position, and keeps it until its commit
  // is visible: tx_ids, positions and commits all follow the lock order, and the feed needs
  // no horizon (a reader sees its own writes at once). Under narrower scopes it stops at the
  // horizon; see readFeedSql.
  const statement = readFeedSql(
    env.log,
    { after, limit: options.limit, resource: options.resource, tenant },
    !globalScope(env.log),
  );
  const { rows } = await env.db.query(statement);
  const events = rows.map((row) => rowToEvent(env.log, row));
  const last = rows[rows.length - 1];
  const point = last === undefined
    ? after
    : { txId: String(last["tx_id"]), position: BigInt(last["position"] as bigint) };
  return Object.freeze({ events: Object.freeze(events), cursor: encodeFeedCursor(scope, point) });
}

/**
 * The cursor of the feed's end: `readFeed` (or, with `allTenants`, `readAllTenantsFeed`) after
 * it returns only events that are not in the feed yet. On an empty feed, the start.
 */
export async function readFeedEnd(
  env: ReadEnv,
  options: { readonly resource?: string | undefined },
  allTenants: boolean,
): Promise<string> {
  checkReadOptions(options);
  if (allTenants) refuseOnScopedStore(env.ctx, "feedEnd with allTenants");
  const tenant = allTenants ? undefined : storeTenant(env.ctx);
  const scope: FeedScope = { table: env.log.table.sql, tenant, resource: options.resource };
  const statement = feedEndSql(env.log, { resource: options.resource, tenant }, !globalScope(env.log));
  const [row] = (await env.db.query(statement)).rows;
  const point = row === undefined
    ? FEED_START
    : { txId: String(row["tx_id"]), position: BigInt(row["position"] as bigint) };
  return encodeFeedCursor(scope, point);
}

/** `store.readEvents`: the store's tenant only. */
export async function readEvents(env: ReadEnv, options: ReadEventsOptions = {}): Promise<StoredEvent[]> {
  return await readEventsWith(env, options, storeTenant(env.ctx));
}

/** `store.readAllTenantsEvents`: every tenant; unscoped stores only. */
export async function readAllTenantsEvents(env: ReadEnv, options: ReadEventsOptions = {}): Promise<StoredEvent[]> {
  refuseOnScopedStore(env.ctx, "readAllTenantsEvents");
  return await readEventsWith(env, options, undefined);
}

/** `store.readFeed`: the store's tenant only. */
export async function readFeed(env: ReadEnv, options: ReadFeedOptions = {}): Promise<FeedPage> {
  return await readFeedWith(env, options, storeTenant(env.ctx));
}

/** `store.readAllTenantsFeed`: every tenant; unscoped stores only. */
export async function readAllTenantsFeed(env: ReadEnv, options: ReadFeedOptions = {}): Promise<FeedPage> {
  refuseOnScopedStore(env.ctx, "readAllTenantsFeed");
  return await readFeedWith(env, options, undefined);
}
