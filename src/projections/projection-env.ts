/**
 * What the projection functions read from the store, and the feed scope a projection follows.
 * @module
 */
import type { EventStore } from "../core/store-types.ts";
import type { Projection } from "../core/projection.ts";
import { storeTenant } from "../core/read-log.ts";
import type { TenantFilter } from "../sql/read-events.ts";
import { projectionScope } from "../sql/projection-statements.ts";

/** What `project`, `rebuildProjection` and `projectionStatus` read from the store. */
export type ProjectionStore = Pick<EventStore, "log" | "db" | "context">;

/** The feed a projection follows over a store: its tenant filter and the checkpoint's scope key. */
export interface FollowedFeed {
  readonly tenant: TenantFilter;
  readonly scope: string;
}

/**
 * The store's tenant (as `readFeed` reads it), or every tenant for an `allTenants` projection,
 * which a store from `withContext({ tenant })` refuses.
 * @throws {TypeError} an `allTenants` projection over a tenant-scoped store
 */
export function followedFeed(store: ProjectionStore, projection: Projection): FollowedFeed {
  if (projection.kind !== "projection") throw new TypeError("Expected a projection from defineProjection()");
  if (!projection.allTenants) {
    const tenant = storeTenant(store.context);
    return { tenant, scope: projectionScope(tenant) };
  }
  if (store.context.tenant !== undefined && store.context.tenant !== null) {
    throw new TypeError(
      `Projection ${projection.name} follows every tenant: run it on a store without a tenant, not on one from withContext({ tenant })`,
    );
  }
  return { tenant: undefined, scope: projectionScope(undefined) };
}

/** Whether every write of the log takes the one global key (the feed then needs no horizon). */
export function globalScope(store: ProjectionStore): boolean {
  return "scope" in store.log.lock && store.log.lock.scope === "global";
}
