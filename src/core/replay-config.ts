/**
 * The store's replay configuration (how tracked state is cleared, the page size). In core
 * because the store carries it; the replay functions (src/replay) read it from the store.
 * @module
 */
import type { Executor } from "./executor.ts";
import type { AnyResource } from "./model-types.ts";

/** What a custom clear function receives. */
export interface ClearContext {
  /**
   * The executor to clear with. Each request sent through it first checks, in its own
   * transaction, that the replay is still running with no page applied, and is refused with
   * `REPLAY_CONFLICT` otherwise; statements sent any other way are not protected against a
   * resumer that lost the race.
   */
  readonly db: Executor;
  /** The tenant of a single-tenant replay; null for all tenants. */
  readonly tenant: string | null;
  /** The tracked resources that have a table (event-only resources have nothing to clear). */
  readonly resources: readonly AnyResource[];
}

/**
 * How replay clears state before applying events: `"tracked-tables"` deletes every row of
 * every tracked resource's table (only the tenant's rows of multi-tenant resources in a
 * single-tenant replay), atomically with raising the fence; a function does it itself, through
 * {@link ClearContext.db}. A resume before the first page clears again, only while no other
 * process has applied a page or ended the replay.
 */
export type ReplayClear = "tracked-tables" | ((ctx: ClearContext) => Promise<void>);

/** Store-level replay configuration. */
export interface ReplayConfig {
  /** How tracked state is cleared. Without it, replay refuses to run (code REPLAY_NOT_CONFIGURED). */
  readonly clear?: ReplayClear;
  /** Events per page (one read and one write batch per page). Default 1000. */
  readonly pageSize?: number;
  /**
   * Upper bound of one write request in bytes, as encoded (UTF-8 of the statements and their
   * parameters in a SQL-over-HTTP body); a page whose writes exceed it is applied in several
   * requests (an event that alone exceeds it still goes alone). Default 4 MiB, well under the
   * request limits of Neon's HTTP endpoint.
   */
  readonly maxBatchBytes?: number;
}
