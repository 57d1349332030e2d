/**
 * Running one fold read (`recordFoldSql`): the record's events up to the greatest of its
 * points, each point resolved to a position, the next create and the last adoption, in one
 * query; then the fold in memory.
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { rowToEvent } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import type { Row } from "../core/executor.ts";
import { type FoldBound, recordFoldSql, type RecordStream } from "../sql/history-statements.ts";
import { foldRecord, type FoldStep, FROM_START } from "./fold-record.ts";
import type { HistoryStore } from "./history-store.ts";

/** What one fold read returns. */
export interface FoldResult {
  /** Each point as a position (null: no event at or before it). */
  readonly points: readonly (bigint | null)[];
  /** The first create of the stream after point 0, if any. */
  readonly nextCreate: bigint | undefined;
  /** Every event read, with the record before and after it. */
  readonly steps: readonly FoldStep[];
}

function position(row: Row, column: string): bigint | null {
  const value = row[column];
  return value === null || value === undefined ? null : BigInt(value as bigint);
}

/**
 * Read and fold `stream` up to `bounds` (from the start: savepoints will seed it here).
 * @throws {NotFoundError} code `NOT_FOUND` when an event point names no event of the store's tenant
 * @throws {ReplayError} code `REPLAY_FAILED` for an event the fold cannot apply
 */
export async function readFold(
  store: HistoryStore,
  resource: AnyResource,
  stream: RecordStream,
  bounds: readonly FoldBound[],
): Promise<FoldResult> {
  const seed = FROM_START;
  const { rows } = await store.db.query(recordFoldSql(store.log, { stream, after: seed.position, points: bounds }));
  const meta = rows[0]!;
  const points = bounds.map((_, i) => position(meta, `__ee_point_${i}`));
  bounds.forEach((bound, i) => {
    if (bound.kind === "event" && points[i] === null) throw new NotFoundError("event", bound.eventId);
  });
  const events = rows.filter((row) => row["id"] !== null && row["id"] !== undefined).map((row) =>
    rowToEvent(store.log, row)
  );
  const adopted = position(meta, "__ee_adopted") ?? undefined;
  const steps = await foldRecord(store, resource, events, adopted, seed);
  return { points, nextCreate: position(meta, "__ee_next_create") ?? undefined, steps };
}
