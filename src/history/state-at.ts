/**
 * `stateAt(store, resource, recordId, point)`: a record as it was at a point of its history,
 * folded in memory from its events; writes nothing.
 * @module
 */
import type { RecordId, RecordOf } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import type { AnyResource } from "../core/resource.ts";
import { type FoldState, softDestroyed, stateAtPosition } from "../core/record-fold.ts";
import { type HistoryPoint, pointBound } from "./history-point.ts";
import { type HistoryStore, recordIdText, recordStream, resolveResource, type ResourceArg } from "./history-store.ts";
import { readFold } from "./read-fold.ts";

/** The record type a resource argument stands for (a name: any attributes). */
export type RecordOfArg<R> = R extends string ? Record<string, unknown> : RecordOf<R>;

/** The record exists at the point. */
export interface RecordExists<T> {
  /** The record has a row at the point. */
  readonly status: "exists";
  /** Its attributes right after `lastEvent`. */
  readonly record: T;
  /** The record's last event at or before the point (its id, position, time). */
  readonly lastEvent: StoredEvent;
}

/** No event at or before the point created the record. */
export interface RecordNotCreated {
  /** No event at or before the point created the record. */
  readonly status: "not-created";
  /** Whether an event after the point creates (or adopts) it. */
  readonly createdLater: boolean;
  /**
   * The record's last event at or before the point, if any: only events an adoption after
   * them supersedes (changes of a row that predates the log) come before its creation.
   */
  readonly lastEvent: StoredEvent | undefined;
}

/** The record was destroyed at or before the point. */
export type RecordDestroyed<T> =
  | {
    readonly status: "destroyed";
    /** A hard destroy: the row is gone. */
    readonly soft: false;
    /** The destroying event (when: its `occurredAt`). */
    readonly destroyedBy: StoredEvent;
    readonly lastEvent: StoredEvent;
  }
  | {
    readonly status: "destroyed";
    /** A soft destroy: a soft-destroy attribute is set, the row is kept. */
    readonly soft: true;
    /** The row's attributes, soft-destroy attribute included. */
    readonly record: T;
    /** The event that set the soft-destroy attribute. */
    readonly destroyedBy: StoredEvent;
    readonly lastEvent: StoredEvent;
  };

/** What {@link stateAt} finds: the record, or why there is none. */
export type RecordState<T> = RecordExists<T> | RecordNotCreated | RecordDestroyed<T>;

/** The state a fold reached, as the caller sees it. */
export function describeState<T>(
  resource: AnyResource,
  state: FoldState,
  lastEvent: StoredEvent | undefined,
  createdLater: boolean,
): RecordState<T> {
  const { record, destroyedBy } = state;
  if (record === undefined) {
    if (destroyedBy === undefined || lastEvent === undefined) {
      return Object.freeze({ status: "not-created", createdLater, lastEvent });
    }
    return Object.freeze({ status: "destroyed", soft: false, destroyedBy, lastEvent });
  }
  if (softDestroyed(resource, record) && destroyedBy !== undefined) {
    return Object.freeze({ status: "destroyed", soft: true, record: record as T, destroyedBy, lastEvent: lastEvent! });
  }
  return Object.freeze({ status: "exists", record: record as T, lastEvent: lastEvent! });
}

/**
 * A record right after the last of its events at or before `point`: folded in memory from
 * its events (the same routing, aliases, upcasters and pinned `changes` as replay; events of
 * other resources routed to it included; updates superseded by a later adoption skipped).
 * Writes nothing. One query: the events up to the point, the point itself (an event id is
 * resolved in the same query) and whether a create follows. The cost grows with the number
 * of events up to the point (all of them are read and folded).
 *
 * @param store any event store (the tenant rule of `HistoryStore`: a multi-tenant resource in its tenant)
 * @param resource the resource (its definition, or its name)
 * @param recordId the record's primary key
 * @param point `{ at: Date }` (the record's last event at or before that time), `{ eventId }`
 *   (an event of the record's tenant, of any record) or `{ position }`
 * @returns `exists` (the record and its last event), `not-created` (and whether it is created
 *   later) or `destroyed` (by which event; a soft destroy carries the record too)
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId`, `point`,
 *   `at`, `eventId`, `position` or `tenant` (a multi-tenant resource on a store without one); nothing is sent
 * @throws {NotFoundError} code `NOT_FOUND` when `eventId` names no event of the record's tenant
 * @throws {FoldError} code `FOLD_FAILED` naming the event that cannot be folded (a replay would stop there too)
 * @throws {TypeError} for a resource definition that is not part of the store
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource, type HistoryStore, stateAt } from "edge-events";
 *
 * const Account = defineResource({
 *   name: "account", table: "accounts",
 *   attributes: v.object({ id: v.string(), balance: v.number() }),
 *   actions: ({ update }) => ({ deposit: update({ input: v.object({ balance: v.number() }) }) }),
 * });
 *
 * async function balanceLastTuesday(store: HistoryStore, id: string): Promise<number | undefined> {
 *   const then = await stateAt(store, Account, id, { at: new Date("2025-06-03T00:00:00Z") });
 *   return then.status === "exists" ? then.record.balance : undefined;
 * }
 * ```
 */
export async function stateAt<R extends ResourceArg>(
  store: HistoryStore,
  resource: R,
  recordId: RecordId,
  point: HistoryPoint,
): Promise<RecordState<RecordOfArg<R>>> {
  const definition = resolveResource(store, resource);
  const stream = recordStream(store, definition, recordIdText(definition, recordId));
  const bound = pointBound(point);
  const fold = await readFold(store, definition, stream, [bound], "points");
  const at = fold.points[0] ?? null;
  const { state, last } = stateAtPosition(fold, at, fold.start);
  const lastEvent = last?.event ?? (at === null ? undefined : fold.startEvent);
  return describeState(definition, state, lastEvent, fold.nextCreate !== undefined);
}
