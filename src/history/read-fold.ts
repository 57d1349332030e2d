/**
 * Running one fold read (`recordFoldSql`): the record's newest usable savepoint (when the
 * caller allows one), the record's events after it up to the greatest of its points, each
 * point resolved to a position, the next create and the last adoption, in one query; then
 * the fold in memory (`foldRecord` of core/record-fold.ts), from the savepoint.
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { parseJson, rowToEvent } from "../core/record-mapping.ts";
import { foldVersionOf } from "../core/fold-version.ts";
import { decodeState } from "../core/savepoint-state.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import type { AnyResource } from "../core/resource.ts";
import type { Row } from "../core/executor.ts";
import { type FoldBound, recordFoldSql, type RecordStream } from "../sql/history-statements.ts";
import {
  type FoldedRecord,
  foldRecord,
  type FoldStart,
  type FoldState,
  type FoldStep,
  FROM_START,
  NO_RECORD,
} from "../core/record-fold.ts";
import type { HistoryStore } from "./history-store.ts";

/** What one fold read returns. */
export interface FoldResult {
  /** Each point as a position (null: no event at or before it). */
  readonly points: readonly (bigint | null)[];
  /** The first create of the stream after point 0, if any. */
  readonly nextCreate: bigint | undefined;
  /** Every event read after the start, with the record before and after it. */
  readonly steps: readonly FoldStep[];
  /** Where the fold started: the savepoint it read, or nothing before position 0. */
  readonly start: FoldStart;
  /** The event at the savepoint's position (the record's last event there); undefined from the start. */
  readonly startEvent: StoredEvent | undefined;
}

function position(row: Row, column: string): bigint | null {
  const value = row[column];
  return value === null || value === undefined ? null : BigInt(value as bigint);
}

/**
 * Read and fold `stream` up to `bounds`, from the newest usable savepoint at or before
 * `savepointAt` (the least of the points, or a position; undefined: from the first event).
 * @throws {NotFoundError} code `NOT_FOUND` when an event point names no event of the store's tenant
 * @throws {FoldError} code `FOLD_FAILED` for an event the fold cannot apply
 */
export async function readFold(
  store: HistoryStore,
  resource: AnyResource,
  stream: RecordStream,
  bounds: readonly FoldBound[],
  savepointAt?: "points" | bigint,
): Promise<FoldResult> {
  const env = {
    log: store.log,
    resources: store.resources,
    keyring: store.keyring,
    resource,
    recordId: stream.recordId,
  };
  const savepoint = savepointAt === undefined || savepointAt === 0n ? undefined : {
    foldVersion: await foldVersionOf(env, resource),
    softAttributes: resource.softDeleteAttributes,
    atOrBefore: savepointAt,
  };
  const read = { stream, after: 0n, points: bounds, savepoint };
  const { rows } = await store.db.query(recordFoldSql(store.log, read));
  const meta = rows[0]!;
  const points = bounds.map((_, i) => position(meta, `__ee_point_${i}`));
  bounds.forEach((bound, i) => {
    if (bound.kind === "event" && points[i] === null) throw new NotFoundError("event", bound.eventId);
  });
  const events = rows.filter((row) => row["id"] !== null && row["id"] !== undefined).map((row) =>
    rowToEvent(store.log, row)
  );
  const adopted = position(meta, "__ee_adopted") ?? undefined;
  const at = position(meta, "__ee_sp_position");
  let start = FROM_START;
  let startEvent: StoredEvent | undefined;
  if (at !== null) {
    const { state, timestampTexts } = decodeState(resource, parseJson(meta["__ee_sp_state"]));
    start = { position: at, state: { ...NO_RECORD, record: state, timestampTexts } };
    startEvent = events.find((e) => e.position === at);
    // The savepoint's event is not in this stream (a route sends it elsewhere): fold from the start.
    if (startEvent === undefined) return await readFold(store, resource, stream, bounds);
  }
  const fold = await foldRecord(env, events, { from: start, adoptedAt: adopted });
  const rowsOf = asRows(resource);
  return {
    points,
    nextCreate: position(meta, "__ee_next_create") ?? undefined,
    steps: fold.steps.map((s) => Object.freeze({ ...s, before: rowsOf(s.before), after: rowsOf(s.after) })),
    start: { position: start.position, state: rowsOf(start.state) },
    startEvent,
  };
}

/**
 * The steps with each record as its row holds it: every attribute, in schema order, NULL
 * columns as null (what a row read returns, and what a replayed row holds).
 */
function asRows(resource: AnyResource): (state: FoldState) => FoldState {
  const rows = new Map<FoldState, FoldState>();
  return (state: FoldState): FoldState => {
    let out = rows.get(state);
    if (out === undefined) {
      let record: FoldedRecord | undefined;
      if (state.record !== undefined) {
        const row: Record<string, unknown> = {};
        for (const attribute of resource.attributeNames) row[attribute] = state.record[attribute] ?? null;
        record = Object.freeze(row);
      }
      rows.set(state, out = Object.freeze({ ...state, record }));
    }
    return out;
  };
}
