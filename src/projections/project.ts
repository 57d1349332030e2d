/**
 * `project(store, projection)`: feed a projection the events after its checkpoint, in feed
 * order, a batch at a time; each batch's statements commit with the checkpoint's move.
 * @module
 */
import { isEdgeEventsError, ProjectionConflictError, type StorageError } from "../core/errors.ts";
import type { SqlStatement } from "../core/executor.ts";
import type { Projection, ProjectionContext } from "../core/projection.ts";
import { rowToEvent } from "../core/record-mapping.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { sql } from "../sql/fragment.ts";
import { STALE_SQLSTATE } from "../sql/event-log-ddl.ts";
import { type FeedPoint, readFeedSql } from "../sql/read-events.ts";
import { advanceCheckpointSql, finishRebuildSql, loadCheckpointSql } from "../sql/projection-statements.ts";
import { type FollowedFeed, followedFeed, globalScope, type ProjectionStore } from "./projection-env.ts";

/** Options of {@link project}. */
export interface ProjectOptions {
  /** Events per batch (one feed read and one write batch each), 1 to 10000. Default 100. */
  readonly batchSize?: number;
  /** Stop after this many batches (a bounded step); default: until caught up. */
  readonly maxBatches?: number;
  /** Stop between batches when aborted. */
  readonly signal?: AbortSignal;
  /** Resends of a batch whose answer was lost, after checking the checkpoint. Default 2. */
  readonly lostResponseRetries?: number;
}

/** What {@link project} did. */
export interface ProjectResult {
  /** The projection's name. */
  readonly name: string;
  /** Events read and passed (handled or not) by this call. */
  readonly events: number;
  /** Events this call's handlers turned into statements. */
  readonly handled: number;
  /** Write batches this call committed. */
  readonly batches: number;
  /** Whether the last read found no further event (at the horizon, under narrow lock scopes). */
  readonly caughtUp: boolean;
  /** The checkpoint's position after the call (0 before any event). */
  readonly position: bigint;
}

const DEFAULT_BATCH_SIZE = 100;

function checkOptions(options: ProjectOptions): void {
  const { batchSize, maxBatches, lostResponseRetries } = options;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000)) {
    throw new RangeError("batchSize must be an integer from 1 to 10000");
  }
  if (maxBatches !== undefined && !(Number.isInteger(maxBatches) && maxBatches >= 1)) {
    throw new RangeError("maxBatches must be a positive integer");
  }
  if (lostResponseRetries !== undefined && !(Number.isInteger(lostResponseRetries) && lostResponseRetries >= 0)) {
    throw new RangeError("lostResponseRetries must be an integer of at least 0");
  }
}

/** The context of a stored event: its position and time are parameters. */
export function storedContext(event: StoredEvent): ProjectionContext {
  return {
    position: sql`${event.position}::bigint`,
    occurredAt: sql`${event.occurredAt.toISOString()}::timestamptz`,
    inline: false,
  };
}

/** A checkpoint as read: its point, and whether an inline projection's rebuild holds it. */
interface Checkpoint {
  readonly point: FeedPoint;
  readonly rebuilding: boolean;
}

async function loadCheckpoint(store: ProjectionStore, name: string, feed: FollowedFeed): Promise<Checkpoint> {
  const [, read] = await store.db.batch(loadCheckpointSql(store.log, name, feed.scope));
  const row = read!.rows[0]!;
  return {
    point: { txId: String(row["tx_id"]), position: BigInt(row["position"] as bigint) },
    rebuilding: row["rebuilding"] === true,
  };
}

function samePoint(a: FeedPoint, b: FeedPoint): boolean {
  return a.txId === b.txId && a.position === b.position;
}

/**
 * Send one batch: the checkpoint's compare-and-set first, then the statements. A lost answer
 * is resolved by reading the checkpoint: moved to `to`, the batch committed; still at `from`,
 * it did not and is resent; anywhere else, another runner has it.
 */
async function commit(
  store: ProjectionStore,
  projection: Projection,
  feed: FollowedFeed,
  move: { readonly from: FeedPoint; readonly to: FeedPoint; readonly events: number },
  statements: readonly SqlStatement[],
  retries: number,
): Promise<void> {
  const checkpoint = advanceCheckpointSql(store.log, projection.name, feed.scope, move.from, move.to, move.events);
  for (let attempt = 0;; attempt++) {
    try {
      await store.db.batch([checkpoint, ...statements]);
      return;
    } catch (error) {
      if (!isEdgeEventsError(error, "STORAGE_FAILURE")) throw error;
      const failure = error as StorageError;
      const stale = failure.sqlState === STALE_SQLSTATE;
      if (!stale && !failure.outcomeUnknown) throw error;
      // Stale may be this very batch, resent by the transport after its answer was lost (Deno's
      // fetch resends a POST whose keep-alive connection dropped): the checkpoint tells.
      const now = (await loadCheckpoint(store, projection.name, feed)).point;
      if (samePoint(now, move.to)) return;
      if (stale || !samePoint(now, move.from)) throw new ProjectionConflictError(projection.name, { cause: error });
      if (attempt >= retries) throw error;
    }
  }
}

/**
 * Bring a projection's read model up to date: read the events after its checkpoint in feed
 * order (`(tx_id, position)`, stopping at the visibility horizon under narrow lock scopes, as
 * `readFeed` does), a batch at a time, and commit each batch's statements in one transaction
 * with the checkpoint's move, conditional on the checkpoint still being where this call read
 * it. So every event affects the read model exactly once, whatever fails when, and of two
 * concurrent runners only one applies a batch (the other gets `PROJECTION_CONFLICT`).
 *
 * Over a store from `withContext({ tenant })` it follows that tenant's events (a checkpoint
 * per tenant); over a store without a tenant, events without one, or every tenant's for an
 * `allTenants` projection.
 *
 * @throws {ProjectionHandlerError} code `PROJECTION_FAILED` when a handler throws (its batch is not sent)
 * @throws {ProjectionConflictError} code `PROJECTION_CONFLICT` when the checkpoint moved under this call
 * @throws {StorageError} when the database refuses a batch (nothing of it committed) or an answer stays lost
 * @throws {RangeError} on a bad option
 * @example
 * ```ts
 * import { project, type Projection, type ProjectionStore } from "edge-events";
 *
 * async function catchUp(store: ProjectionStore, balances: Projection): Promise<void> {
 *   const { events, caughtUp } = await project(store, balances, { batchSize: 500 });
 *   console.log(`${events} events applied`, caughtUp ? "caught up" : "more to come");
 * }
 * ```
 */
export async function project(
  store: ProjectionStore,
  projection: Projection,
  options: ProjectOptions = {},
): Promise<ProjectResult> {
  checkOptions(options);
  const feed = followedFeed(store, projection);
  const limit = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const horizon = !globalScope(store);
  const checkpoint = await loadCheckpoint(store, projection.name, feed);
  let at = checkpoint.point;
  let [events, handled, batches] = [0, 0, 0];
  const result = (caughtUp: boolean): ProjectResult =>
    Object.freeze({ name: projection.name, events, handled, batches, caughtUp, position: at.position });
  // A live inline projection is kept by the write path, event by event: running it from its
  // checkpoint would apply those events again. Only an unfinished rebuild has work here.
  if (projection.inline && !checkpoint.rebuilding) return result(true);
  // Reading until a read finds nothing more; an inline rebuild then ends, unless an event of
  // its scope was committed past the horizon that read stopped at (read again, or report).
  const caughtUp = async (readSomething: boolean): Promise<ProjectResult | undefined> => {
    if (!projection.inline) return result(true);
    if (await finishRebuild(store, projection, feed, at, options.lostResponseRetries ?? 2)) return result(true);
    return readSomething ? undefined : result(false);
  };
  for (;;) {
    if (options.signal?.aborted === true || (options.maxBatches !== undefined && batches >= options.maxBatches)) {
      return result(false);
    }
    const filter = { after: at, limit, resources: projection.resources, tenant: feed.tenant };
    const { rows } = await store.db.query(readFeedSql(store.log, filter, horizon));
    const last = rows[rows.length - 1];
    if (last === undefined) {
      const done = await caughtUp(false);
      if (done !== undefined) return done;
      continue;
    }
    const read = rows.map((row) => rowToEvent(store.log, row));
    // Every handler runs before anything is sent: a throw leaves the batch unsent.
    const statements = read.flatMap((event) => projection.statementsFor(event, storedContext(event)));
    const to = { txId: String(last["tx_id"]), position: BigInt(last["position"] as bigint) };
    await commit(
      store,
      projection,
      feed,
      { from: at, to, events: read.length },
      statements,
      options.lostResponseRetries ?? 2,
    );
    at = to;
    events += read.length;
    handled += read.filter((e) => projection.handles(e.resource, e.action)).length;
    batches++;
    // A short page read everything there was: caught up as of that read, without asking again.
    if (rows.length < limit) {
      const done = await caughtUp(true);
      if (done !== undefined) return done;
    }
  }
}

/**
 * End an inline projection's rebuild at `at` (the write path takes its events again). False
 * when an event of its scope after `at` is committed but was past the horizon of the last read.
 * @throws {ProjectionConflictError} code `PROJECTION_CONFLICT` when the checkpoint moved (another runner or rebuild)
 */
async function finishRebuild(
  store: ProjectionStore,
  projection: Projection,
  feed: FollowedFeed,
  at: FeedPoint,
  retries: number,
): Promise<boolean> {
  const finish = finishRebuildSql(store.log, projection.name, feed.scope, at, {
    tenant: feed.tenant,
    resources: projection.resources,
  });
  for (let attempt = 0;; attempt++) {
    try {
      const { rows } = await store.db.query(finish);
      return rows[0]!["pending"] !== true;
    } catch (error) {
      if (!isEdgeEventsError(error, "STORAGE_FAILURE")) throw error;
      const failure = error as StorageError;
      if (failure.sqlState === STALE_SQLSTATE) throw new ProjectionConflictError(projection.name, { cause: error });
      if (!failure.outcomeUnknown) throw error;
      const now = await loadCheckpoint(store, projection.name, feed);
      if (!samePoint(now.point, at)) throw new ProjectionConflictError(projection.name, { cause: error });
      if (!now.rebuilding) return true;
      if (attempt >= retries) throw error;
    }
  }
}
