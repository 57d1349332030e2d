/**
 * Events superseded by a later adoption: an update or destroy of a record that did not exist
 * yet because its row predates edge-events; the adoption's snapshot already holds the change.
 * The record is looked up in the resources the event is applied to (a routed event's targets),
 * never in the resource named by the event.
 * @module
 */
import type { StorageError } from "../core/errors.ts";
import type { EventLog } from "../core/event-log.ts";
import type { Executor } from "../core/executor.ts";
import type { AnyResource } from "../core/resource.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { NOT_FOUND_SQLSTATE } from "../sql/event-log-ddl.ts";
import { laterAdoptionSql } from "../sql/replay-statements.ts";
import { type EventTarget, routeEvent } from "../core/replay-routes.ts";
import type { CallStats } from "./run-state.ts";

/** What the lookup needs from the store. */
interface SupersedeEnv {
  readonly log: EventLog;
  readonly db: Executor;
  readonly resources: ReadonlyMap<string, AnyResource>;
}

/**
 * The position of the adoption that supersedes `event`, if any: every target of the event is
 * an update or destroy, and each target's record (the event's record id, in the target's
 * resource) has an adoption after the event. The latest such position; undefined otherwise.
 */
export async function laterAdoption(
  env: SupersedeEnv,
  event: StoredEvent,
  targets: readonly EventTarget[],
  stats: CallStats,
): Promise<bigint | undefined> {
  if (targets.length === 0 || targets.some((t) => (t.action?.type ?? "create") === "create")) return undefined;
  let latest: bigint | undefined;
  for (const target of targets) {
    const row =
      (await env.db.query(laterAdoptionSql(env.log, target.resource.name, event.recordId, event.position))).rows[0];
    stats.roundTrips++;
    if (row === undefined) return undefined;
    const position = BigInt(row["position"] as bigint);
    if (latest === undefined || position > latest) latest = position;
  }
  return latest;
}

/** For an event the database refused because a record it changes is missing: {@link laterAdoption}. */
export async function supersedingAdoption(
  env: SupersedeEnv,
  event: StoredEvent,
  error: StorageError,
  stats: CallStats,
): Promise<bigint | undefined> {
  if (error.sqlState !== NOT_FOUND_SQLSTATE) return undefined;
  return await laterAdoption(env, event, routeEvent(env.log, env.resources, event).targets, stats);
}
