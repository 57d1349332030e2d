/**
 * `rebuildProjection(store, projection)`: empty the read model and put the checkpoint back at
 * the start of the feed in one batch, then project everything again.
 * @module
 */
import type { Projection } from "../core/projection.ts";
import { resetCheckpointSql } from "../sql/projection-statements.ts";
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
 * An inline projection keeps being written by live actions meanwhile: rebuild it while no
 * action writes its events, or its handlers apply those events twice (see the README).
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
  await store.db.batch([resetCheckpointSql(store.log, projection.name, feed.scope), ...clearing]);
  return await project(store, projection, rest);
}

function fragmentsOf(value: SqlFragment | readonly SqlFragment[]): readonly SqlFragment[] {
  return Array.isArray(value) ? value : [value as SqlFragment];
}
