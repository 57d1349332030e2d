/**
 * Adopting existing rows: one `adopt` create event for every row of a resource that no
 * event describes, so that a later replay rebuilds those rows too.
 * @module
 */
import type { EventLog } from "../core/event-log.ts";
import type { Executor, QueryResult, Row, SqlStatement } from "../core/executor.ts";
import { newEventId } from "../core/ids.ts";
import { type JsonObject, toJson } from "../core/json.ts";
import type { Keyring } from "../core/keyring.ts";
import { protect, subjectKey } from "../core/sensitive-values.ts";
import { chainLockKey, writeLockKey } from "../core/lock-key.ts";
import type { LockKey } from "../core/event-log.ts";
import { rowToRecord } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import { isEdgeEventsError, ReplayInProgressError } from "../core/errors.ts";
import { REPLAY_IN_PROGRESS_SQLSTATE } from "../sql/event-log-ddl.ts";
import { adoptionEventSql, ROW_JSON_ALIAS, unadoptedRowsSql } from "../sql/replay-statements.ts";
import { RECORD_ID_ALIAS } from "../sql/write-statements.ts";
import { writePreludeSql } from "../sql/write-prelude.ts";
import { canonicalTenant } from "../core/canonical-id.ts";
import type { EventStore } from "../core/store-types.ts";

/** Options of {@link adopt}. */
export interface AdoptOptions {
  /** Rows per page (one read and one write batch per page). Default 500. */
  readonly pageSize?: number;
  /** Metadata stored on every adoption event. Default `{ "adopted": true }`. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The outcome of an adoption. */
export interface AdoptResult {
  /** Events written (rows adopted) by this call. */
  readonly adopted: number;
  /** Pages read. */
  readonly pages: number;
}

/**
 * The row's attributes for `changes`. Timestamps keep the database's text when it names the
 * same millisecond: a Date would cut microseconds, and replay would not rebuild the row identically.
 */
function recordedAttributes(resource: AnyResource, row: Row): Record<string, unknown> {
  const record = rowToRecord(resource, row);
  const exact = (typeof row[ROW_JSON_ALIAS] === "string" ? JSON.parse(row[ROW_JSON_ALIAS]) : row[ROW_JSON_ALIAS]) as
    | Record<string, unknown>
    | null;
  for (const [attribute, value] of Object.entries(record)) {
    const text = exact?.[resource.columns[attribute]!];
    if (value instanceof Date && typeof text === "string" && Date.parse(text) === value.getTime()) {
      record[attribute] = text;
    }
  }
  return record;
}

/** Send an adoption batch; the fence refusing it (a replay runs) is a ReplayInProgressError. */
async function batchAdoption(db: Executor, statements: SqlStatement[]): Promise<QueryResult[]> {
  try {
    return await db.batch(statements);
  } catch (error) {
    if (
      isEdgeEventsError(error, "STORAGE_FAILURE") && error.sqlState === REPLAY_IN_PROGRESS_SQLSTATE
    ) {
      throw new ReplayInProgressError({ cause: error });
    }
    throw error;
  }
}

/**
 * Write one `adopt` event (action type create, the row's attributes in `changes`) for every
 * row of `resource` that has no event yet. Idempotent: a second run adopts nothing.
 * Refused while a replay runs.
 */
export async function adoptRows(
  log: EventLog,
  db: Executor,
  resource: AnyResource,
  options: AdoptOptions = {},
  keys: { readonly clock?: () => Date; readonly keyring?: Keyring | undefined } = {},
): Promise<AdoptResult> {
  const clock = keys.clock ?? (() => new Date());
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
    throw new RangeError("pageSize must be an integer from 1 to 10000");
  }
  if (resource.table === null) {
    throw new TypeError(`${resource.name} has no table (table: false): it has no rows to adopt`);
  }
  const metadata = toJson(options.metadata ?? { adopted: true }, "metadata") as JsonObject;
  const target = {
    resource: resource.name,
    table: resource.table,
    primaryKeyColumn: resource.columns[resource.primaryKey.attribute]!,
    tenantColumn: resource.tenant === undefined ? undefined : resource.columns[resource.tenant],
  };
  let after: string | null = null;
  let adopted = 0;
  let pages = 0;
  for (;;) {
    const rows: Row[] = (await db.query(unadoptedRowsSql(log, target, after, pageSize))).rows;
    if (rows.length === 0) return { adopted, pages };
    pages++;
    const correlationId = newEventId();
    const events = await Promise.all(rows.map(async (row) => {
      const record = recordedAttributes(resource, row);
      const tenant = resource.tenant === undefined ? null : String(canonicalTenant(String(record[resource.tenant])));
      const id = newEventId();
      const recordId = String(row[RECORD_ID_ALIAS]);
      // Sensitive attributes are stored as any write stores them: redacted or encrypted.
      const target = {
        eventId: id,
        key: subjectKey(
          keys.keyring,
          () =>
            resource.encryptionSubject({ resource: resource.name, recordId, tenant, attributes: record, input: {} }),
        ),
      };
      const changes = await protect(toJson(record) as JsonObject, "changes", resource.sensitive, target);
      return {
        tenant,
        event: {
          id,
          recordId,
          tenant,
          correlationId,
          metadata: JSON.stringify(await protect(metadata, "metadata", log.sensitiveMetadata, target)),
          changes: JSON.stringify(changes),
        },
      };
    }));
    // An adoption happens now, by the store's clock (the row's own timestamps stay in
    // `changes`): stamped like any write, so time order keeps agreeing with position order.
    // A chained log: adoption events are chained like any other, under their chain's key too.
    const lockKeys = events.flatMap((e): LockKey[] => {
      const chain = chainLockKey(log.integrity, e.tenant);
      const key = writeLockKey(log.lock, { resource: resource.name, action: "adopt", tenant: e.tenant });
      return chain === undefined ? [key] : [key, chain];
    });
    const prelude = writePreludeSql(log, lockKeys, events.map((e) => e.tenant), clock());
    const results = await batchAdoption(db, [
      prelude,
      ...events.map((e) => adoptionEventSql(log, resource.name, e.event)),
    ]);
    adopted += results.slice(1).reduce((n, r) => n + (r.rowCount ?? 0), 0);
    after = String(rows[rows.length - 1]![RECORD_ID_ALIAS]);
  }
}

/** What {@link adopt} reads from the store (any {@link EventStore} has it). */
export type AdoptStore = Pick<EventStore, "log" | "db" | "resources" | "clock"> & Partial<Pick<EventStore, "keyring">>;

/**
 * Write one `adopt` event (action type create, the row's attributes in `changes`) for every
 * row of a resource of the store that no event describes, stamped by the store's clock, so
 * that a later replay rebuilds those rows too. Idempotent; refused while a replay runs.
 * @throws {TypeError} (at once) when the resource is not part of the store, or is event-only
 *   (`table: false`: there are no rows to adopt)
 * @example
 * ```ts
 * import { adopt, type AnyResource, type EventStore } from "edge-events";
 *
 * // `resource` is one of the store's resources whose table has rows from before it was tracked.
 * async function track(store: EventStore, resource: AnyResource): Promise<void> {
 *   const { adopted } = await adopt(store, resource);
 *   console.log(`${adopted} rows adopted`);
 * }
 * ```
 */
export function adopt(store: AdoptStore, resource: AnyResource, options?: AdoptOptions): Promise<AdoptResult> {
  if (store.resources.get(resource.name) !== resource) {
    throw new TypeError(`The resource "${resource.name}" is not part of this store`);
  }
  if (resource.table === null) {
    throw new TypeError(`${resource.name} has no table (table: false): it has no rows to adopt`);
  }
  return adoptRows(store.log, store.db, resource, options, { clock: store.clock, keyring: store.keyring });
}
