/**
 * `projectionStatus(store, projection)`: where a projection's checkpoint is, and how many
 * events it has yet to apply.
 * @module
 */
import type { Projection } from "../core/projection.ts";
import { encodeFeedCursor } from "../core/feed-cursor.ts";
import { projectionStatusSql } from "../sql/projection-statements.ts";
import { followedFeed, type ProjectionStore } from "./projection-env.ts";

/** A projection's progress in the store's scope. */
export interface ProjectionStatus {
  /** The projection's name. */
  readonly name: string;
  /** Whether it has a checkpoint (`project` ran at least once in this scope). */
  readonly started: boolean;
  /** The position of the last event applied (0: none). */
  readonly position: bigint;
  /**
   * The feed cursor of the checkpoint, for `readFeed({ after })` over the same store
   * (`readAllTenantsFeed` for an `allTenants` projection) when the projection handles every
   * resource's events; otherwise a point of a feed filtered to its resources.
   */
  readonly cursor: string;
  /** Events applied (handled or passed) since the start or the last rebuild. */
  readonly events: bigint;
  /**
   * Events of its scope and resources after the checkpoint, committed or not yet visible. An
   * inline projection that is not being rebuilt does not lag (the write path applies each
   * event in its own batch): 0.
   */
  readonly lag: bigint;
  /**
   * An inline projection's rebuild is under way (or was stopped before it caught up): the write
   * path refuses its events (`PROJECTION_REBUILDING`) until `rebuildProjection` or `project`
   * catches up.
   */
  readonly rebuilding: boolean;
  /** When its checkpoint last moved; null before its first batch. */
  readonly updatedAt: Date | null;
  /** When it was last rebuilt from zero; null if never. */
  readonly rebuiltAt: Date | null;
}

/**
 * Read a projection's checkpoint and lag in the store's scope (one query).
 * @example
 * ```ts
 * import { type Projection, projectionStatus, type ProjectionStore } from "edge-events";
 *
 * async function report(store: ProjectionStore, balances: Projection): Promise<void> {
 *   const { position, lag } = await projectionStatus(store, balances);
 *   console.log(`balances at ${position}, ${lag} events behind`);
 * }
 * ```
 */
export async function projectionStatus(store: ProjectionStore, projection: Projection): Promise<ProjectionStatus> {
  const feed = followedFeed(store, projection);
  const statement = projectionStatusSql(store.log, projection.name, feed.scope, {
    tenant: feed.tenant,
    resources: projection.resources,
  });
  const row = (await store.db.query(statement)).rows[0]!;
  const point = { txId: String(row["tx_id"]), position: BigInt(row["position"] as bigint) };
  return Object.freeze({
    name: projection.name,
    started: row["started"] === true,
    position: point.position,
    cursor: encodeFeedCursor({ table: store.log.table.sql, tenant: feed.tenant, resource: undefined }, point),
    events: BigInt(row["events"] as bigint),
    lag: projection.inline && row["rebuilding"] !== true ? 0n : BigInt(row["lag"] as bigint),
    rebuilding: row["rebuilding"] === true,
    updatedAt: (row["updated_at"] as Date | null) ?? null,
    rebuiltAt: (row["rebuilt_at"] as Date | null) ?? null,
  });
}
