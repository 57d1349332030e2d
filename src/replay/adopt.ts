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
import type { AnyResource } from "../core/resource.ts";
import type { RecordOf } from "../core/model-types.ts";
import { isEdgeEventsError, ReplayInProgressError } from "../core/errors.ts";
import { validationError } from "../core/validation.ts";
import { REPLAY_IN_PROGRESS_SQLSTATE } from "../sql/event-log-ddl.ts";
import {
  adoptedRowSql,
  adoptionEventSql,
  type AdoptTarget,
  rekeyBlockedSql,
  removeAdoptedRowSql,
  unadoptedRowsSql,
} from "../sql/adopt-statements.ts";
import { RECORD_ID_ALIAS } from "../sql/write-statements.ts";
import { writePreludeSql } from "../sql/write-prelude.ts";
import { canonicalTenant } from "../core/canonical-id.ts";
import type { EventStore } from "../core/store-types.ts";
import { type AdoptionPlan, adoptionPlan, adoptRow, type RowAdoption } from "./adoption-plan.ts";

/** Options of {@link adopt}. `TAttrs` is the resource's record type. */
export interface AdoptOptions<TAttrs = Record<string, unknown>> {
  /** Rows per page (one read and one write batch per page). Default 500. */
  readonly pageSize?: number;
  /** Metadata stored on every adoption event. Default `{ "adopted": true }`. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * The action the events record, so that they say how the rows arrived (`import`): a create
   * action of the resource that writes events and accepts an empty input (replay applies the
   * event through it, its data empty and the whole row pinned in `changes`). Default `adopt`,
   * which names no action. Else `VALIDATION_FAILED` naming `action`, nothing written.
   */
  readonly action?: string;
  /**
   * Transform or add attribute values: called with each row's record, its result is merged
   * over the record (`null` clears an attribute). The primary key and the tenant must stay
   * (see `rekey`). The values are validated like an update's (`VALIDATION_FAILED` naming the
   * attribute, that page not written), and the row is rewritten with them in the adoption's
   * batch, as replay would write it from the event.
   */
  readonly attributes?: (record: TAttrs) => Partial<TAttrs> | Promise<Partial<TAttrs>>;
  /**
   * Called after each page committed, in key order, with every adopted row's record before
   * and the record adopted (for moving references to a re-keyed row). A rejection rejects
   * `adopt`; that page stays adopted, and a new `adopt` carries on with the rows left.
   */
  readonly transfer?: (row: TAttrs, adopted: TAttrs) => void | Promise<void>;
  /**
   * Give every adopted row a new generated primary key: in one batch per page, the adoption
   * event names the new key, the old row is deleted and the new one inserted. The log never
   * named the old key, so a replay rebuilds exactly the new rows. Refused (`VALIDATION_FAILED`
   * naming `rekey`, nothing written) for a resource that generates no keys, or when an action
   * changed a row before its adoption (its events name the old key). Rows referenced by foreign
   * keys cannot be deleted: move the references first, or adopt without `rekey`.
   */
  readonly rekey?: boolean;
}

/** The outcome of an adoption. */
export interface AdoptResult {
  /** Events written (rows adopted) by this call. */
  readonly adopted: number;
  /** Pages read. */
  readonly pages: number;
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

/** The statements of one page: the prelude, then per row its event and its row writes. */
function pageStatements(
  log: EventLog,
  target: AdoptTarget,
  plan: AdoptionPlan,
  adoptions: readonly { adoption: RowAdoption; event: AdoptionEventOf }[],
): { statements: SqlStatement[]; eventAt: number[] } {
  const statements: SqlStatement[] = [];
  const eventAt: number[] = [];
  for (const { adoption, event } of adoptions) {
    eventAt.push(statements.length + 1);
    statements.push(adoptionEventSql(log, target, event));
    if (adoption.row === undefined) continue;
    if (plan.rekey) {
      statements.push(removeAdoptedRowSql(log, target, adoption.oldId, event.id));
      statements.push(adoptedRowSql(log, target, "insert", adoption.row, event.id));
    } else statements.push(adoptedRowSql(log, target, "update", adoption.row, event.id));
  }
  return { statements, eventAt };
}

type AdoptionEventOf = Parameters<typeof adoptionEventSql>[2];

/**
 * Write one adoption event (action type create, the row's attributes in `changes`) for every
 * row of `resource` that has no create event yet. Idempotent: a second run adopts nothing.
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
  const plan = await adoptionPlan(resource, options as AdoptOptions);
  const metadata = toJson(options.metadata ?? { adopted: true }, "metadata") as JsonObject;
  const target: AdoptTarget = {
    resource: resource.name,
    table: resource.table,
    primaryKeyColumn: resource.columns[resource.primaryKey.attribute]!,
    tenantColumn: resource.tenant === undefined ? undefined : resource.columns[resource.tenant],
  };
  if (plan.rekey && (await db.query(rekeyBlockedSql(log, target))).rows.length > 0) {
    throw validationError(
      `A row of ${resource.name} was changed by an action before its adoption: its events name its key, so it cannot be re-keyed`,
      "rekey",
    );
  }
  let after: string | null = null;
  let adopted = 0;
  let pages = 0;
  for (;;) {
    const rows: Row[] = (await db.query(unadoptedRowsSql(log, target, after, pageSize))).rows;
    if (rows.length === 0) return { adopted, pages };
    pages++;
    const correlationId = newEventId();
    const now = clock();
    const adoptions = [];
    for (const row of rows) {
      const oldId = String(row[RECORD_ID_ALIAS]);
      const tenantValue = resource.tenant === undefined ? undefined : row[resource.columns[resource.tenant]!];
      const tenant = tenantValue === undefined ? null : String(canonicalTenant(String(tenantValue)));
      const id = newEventId();
      const base = {
        id,
        position: 0n,
        occurredAt: now,
        resource: resource.name,
        recordId: oldId,
        action: plan.action,
        actionType: "create" as const,
        version: plan.version,
        data: {},
        metadata: {},
        tenant,
        correlationId,
        causationId: null,
        parentId: null,
        actor: null,
      };
      const adoption = await adoptRow(plan, row, base);
      // Sensitive attributes are stored as any write stores them: redacted or encrypted (the
      // row itself, the live state, holds them in clear).
      const protection = {
        eventId: id,
        key: subjectKey(
          keys.keyring,
          () =>
            resource.encryptionSubject({
              resource: resource.name,
              recordId: adoption.recordId,
              tenant,
              attributes: adoption.record,
              input: {},
            }),
        ),
      };
      const changes = await protect(
        JSON.parse(adoption.changes) as JsonObject,
        "changes",
        resource.sensitive,
        protection,
      );
      const event: AdoptionEventOf = {
        id,
        recordId: adoption.recordId,
        action: plan.action,
        version: plan.version,
        tenant,
        correlationId,
        metadata: JSON.stringify(await protect(metadata, "metadata", log.sensitiveMetadata, protection)),
        changes: JSON.stringify(changes),
        previousId: plan.rekey ? oldId : undefined,
      };
      adoptions.push({ adoption, event });
    }
    const { statements, eventAt } = pageStatements(log, target, plan, adoptions);
    // An adoption happens now, by the store's clock (the row's own timestamps stay in
    // `changes`): stamped like any write, so time order keeps agreeing with position order.
    // A chained log: adoption events are chained like any other, under their chain's key too.
    const lockKeys = adoptions.flatMap((a): LockKey[] => {
      const chain = chainLockKey(log.integrity, a.event.tenant);
      const key = writeLockKey(log.lock, { resource: resource.name, action: plan.action, tenant: a.event.tenant });
      return chain === undefined ? [key] : [key, chain];
    });
    const prelude = writePreludeSql(log, lockKeys, adoptions.map((a) => a.event.tenant), now);
    const results = await batchAdoption(db, [prelude, ...statements]);
    const written = adoptions.filter((_, i) => (results[eventAt[i]!]?.rowCount ?? 0) > 0);
    adopted += written.length;
    for (const { adoption } of written) await plan.transfer?.(adoption.old, adoption.record);
    after = String(rows[rows.length - 1]![RECORD_ID_ALIAS]);
  }
}

/** What {@link adopt} reads from the store (any {@link EventStore} has it). */
export type AdoptStore = Pick<EventStore, "log" | "db" | "resources" | "clock"> & Partial<Pick<EventStore, "keyring">>;

/**
 * Write one adoption event (action type create, the row's attributes in `changes`) for every
 * row of a resource of the store that no create event describes, stamped by the store's
 * clock, so that a later replay rebuilds those rows too. The events record `adopt`, or the
 * create action named by `action`; `attributes` transforms or adds values (the row is
 * rewritten with them), `rekey` gives rows new generated keys (the old rows are deleted in the
 * same batch), and `transfer` sees each (row, adopted record) pair. Idempotent; refused
 * while a replay runs.
 * @throws {TypeError} (at once) when the resource is not part of the store, or is event-only
 *   (`table: false`: there are no rows to adopt)
 * @throws {ValidationError} `VALIDATION_FAILED` naming the option or attribute, before the
 *   page it concerns is written (options: before anything is)
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { adopt, defineResource, type EventStore } from "edge-events";
 *
 * const Customer = defineResource({
 *   name: "customer", table: "customers",
 *   attributes: v.object({ id: v.string(), name: v.string(), legacyId: v.optional(v.string()) }),
 *   actions: ({ create }) => ({ import: create() }),
 * });
 *
 * // Rows written by the old app get new keys, keep the old one in legacyId, and their
 * // events say `import`.
 * async function takeOver(store: EventStore): Promise<void> {
 *   const { adopted } = await adopt(store, Customer, {
 *     action: "import",
 *     rekey: true,
 *     attributes: (row) => ({ legacyId: row.id, name: row.name.trim() }),
 *     transfer: (row, customer) => console.log(`${row.id} is now ${customer.id}`),
 *   });
 *   console.log(`${adopted} rows adopted`);
 * }
 * ```
 */
export function adopt<R extends AnyResource>(
  store: AdoptStore,
  resource: R,
  options?: AdoptOptions<RecordOf<R>>,
): Promise<AdoptResult> {
  if (store.resources.get(resource.name) !== resource) {
    throw new TypeError(`The resource "${resource.name}" is not part of this store`);
  }
  if (resource.table === null) {
    throw new TypeError(`${resource.name} has no table (table: false): it has no rows to adopt`);
  }
  return adoptRows(store.log, store.db, resource, options as AdoptOptions | undefined, {
    clock: store.clock,
    keyring: store.keyring,
  });
}
