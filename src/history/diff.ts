/**
 * `diff(store, resource, recordId, from, to)`: what changed in a record between two points.
 * @module
 */
import { sameJson } from "../core/json.ts";
import type { RecordId } from "../core/store-types.ts";
import { type FoldedRecord, stateAtPosition } from "../core/record-fold.ts";
import { type HistoryPoint, pointBound } from "./history-point.ts";
import { type HistoryStore, recordIdText, recordStream, resolveResource, type ResourceArg } from "./history-store.ts";
import { readFold } from "./read-fold.ts";
import type { RecordOfArg } from "./state-at.ts";

/** One changed attribute: its value at `from` and at `to` (undefined where the record has no row). */
export interface AttributeChange<V = unknown> {
  /** The value at `from` (undefined: no row there). */
  readonly before: V | undefined;
  /** The value at `to` (undefined: no row there). */
  readonly after: V | undefined;
}

/** The attributes that differ between two points, each with its values. */
export type RecordDiff<T> = { readonly [K in keyof T]?: AttributeChange<T[K]> };

/** The changed attributes between two records (undefined: no row, every attribute of the other changed). */
export function diffRecords(
  before: FoldedRecord | undefined,
  after: FoldedRecord | undefined,
): Record<string, AttributeChange> {
  const out: Record<string, AttributeChange> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    const a = before?.[key];
    const b = after?.[key];
    // Within rows an absent attribute and null are both a NULL column; a missing row is neither.
    const same = before !== undefined && after !== undefined ? sameJson(a, b) : before === after;
    if (!same) out[key] = Object.freeze({ before: a, after: b });
  }
  return Object.freeze(out);
}

/**
 * The attributes of a record that differ between two points, each as `{ before, after }`:
 * the record right after its last event at or before `from`, and at or before `to` (points
 * as in {@link stateAt}; `to` may be earlier than `from`). A record that does not exist at a
 * point (not created, or hard-destroyed) has every attribute `undefined` there; a
 * soft-destroyed record is compared as its row. Values are compared by their JSON form.
 * One query, folded in memory; writes nothing.
 *
 * @param store any event store (the tenant rule of `HistoryStore`: a multi-tenant resource in its tenant)
 * @param resource the resource (its definition, or its name)
 * @param recordId the record's primary key
 * @param from the earlier point: `{ at }`, `{ eventId }` or `{ position }`
 * @param to the later point
 * @returns only the changed attributes (`{}` when nothing changed)
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId`, `from`
 *   or `to` (or their `at`, `eventId`, `position`), or `tenant`; nothing is sent
 * @throws {NotFoundError} code `NOT_FOUND` when an `eventId` names no event of the record's tenant
 * @throws {FoldError} code `FOLD_FAILED` naming the event that cannot be folded
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource, diff, type HistoryStore } from "edge-events";
 *
 * const Account = defineResource({
 *   name: "account", table: "accounts",
 *   attributes: v.object({ id: v.string(), balance: v.number() }),
 *   actions: ({ update }) => ({ deposit: update({ input: v.object({ balance: v.number() }) }) }),
 * });
 *
 * async function sinceOpened(store: HistoryStore, id: string, opened: string) {
 *   const changes = await diff(store, Account, id, { eventId: opened }, { at: new Date() });
 *   return changes.balance; // { before: 0, after: 25 }
 * }
 * ```
 */
export async function diff<R extends ResourceArg>(
  store: HistoryStore,
  resource: R,
  recordId: RecordId,
  from: HistoryPoint,
  to: HistoryPoint,
): Promise<RecordDiff<RecordOfArg<R>>> {
  const definition = resolveResource(store, resource);
  const stream = recordStream(store, definition, recordIdText(definition, recordId));
  const bounds = [pointBound(from, "from"), pointBound(to, "to")];
  const fold = await readFold(store, definition, stream, bounds, "points");
  const [before, after] = fold.points.map((p) => stateAtPosition(fold, p, fold.start).state.record);
  return diffRecords(before, after) as RecordDiff<RecordOfArg<R>>;
}
