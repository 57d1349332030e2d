/**
 * `rebuildProjection(store, projection)`: empty the read model and put the checkpoint back at
 * the start of the feed in one batch, then project everything again.
 * @module
 */
import type { Projection } from "../core/projection.ts";
import { resetCheckpointSql } from "../sql/projection-statements.ts";
import { exclusiveFenceSql } from "../sql/replay-statements.ts";
import { projectionStatementSql } from "../sql/projection-statements.ts";
import type { SqlFragment } from "../sql/fragment.ts";
import { followedFeed, type ProjectionStore } from "./projection-env.ts";
import { project, type ProjectOptions, type ProjectResult } from "./project.ts";

/** Options of {@link rebuildProjection}. */
export interface RebuildProjectionOptions extends ProjectOptions {
  /**
   * The statements that empty the read model, sent in the reset's batch; default the
   * projection's `clear`. Without either, the read model is not emptied (its handlers must
   * then tolerate seeing events again, as upserts do).
   */
  readonly clear?: () => SqlFragment | readonly SqlFragment[];
}

/**
 * Rebuild a projection from the start of the feed: one batch resets its checkpoint (in the
 * store's scope) and runs its clear statements, so a concurrent runner's next batch conflicts
 * instead of landing in the emptied model; then {@link project} runs to the end.
 *
 * An inline projection is marked as rebuilding in the same batch, which first takes the log's
 * fence lock alone (it waits for the write batches in flight, as a replay's start does): from
 * then on the write path refuses the actions whose events it handles (`PROJECTION_REBUILDING`,
 * nothing written) until the rebuild catches up, so that every event reaches the read model
 * exactly once and in order. A rebuild stopped early (`maxBatches`, `signal`, a crash) keeps
 * refusing them until `project` (or another rebuild) finishes it.
 *
 * @throws {ProjectionHandlerError} code `PROJECTION_FAILED`, {@link ProjectionConflictError} code `PROJECTION_CONFLICT`, as `project`
 * @example
 * ```ts
 * import { type Projection, type ProjectionStore, rebuildProjection } from "edge-events";
 *
 * async function reset(store: ProjectionStore, balances: Projection): Promise<void> {
 *   await rebuildProjection(store, balances);
 * }
 * ```
 */
export async function rebuildProjection(
  store: ProjectionStore,
  projection: Projection,
  options: RebuildProjectionOptions = {},
): Promise<ProjectResult> {
  const feed = followedFeed(store, projection);
  const { clear, ...rest } = options;
  if (clear !== undefined && typeof clear !== "function") throw new TypeError("clear must be a function");
  const clearing = clear === undefined
    ? projection.clearStatements()
    : fragmentsOf(clear()).map(projectionStatementSql);
  // The reset first: it locks the checkpoint row, so a runner's batch in flight commits
  // entirely before the clear or conflicts after it.
  // An inline projection's reset also waits for the writes in flight (the fence lock, alone):
  // one that began before it commits first (its inline statements land before the clear), one
  // after it sees the mark and is refused.
  const fence = projection.inline ? [exclusiveFenceSql(store.log)] : [];
  await store.db.batch([
    ...fence,
    resetCheckpointSql(store.log, projection.name, feed.scope, projection.inline),
    ...clearing,
  ]);
  return await project(store, projection, rest);
}

function fragmentsOf(value: SqlFragment | readonly SqlFragment[]): readonly SqlFragment[] {
  return Array.isArray(value) ? value : [value as SqlFragment];
}
