/**
 * Dry runs: plan every event in scope, tracking in memory which records would exist, and
 * report what would be applied or skipped. Nothing is written; no fence is raised.
 * @module
 */
import { rowToEvent } from "../core/record-mapping.ts";
import { validationError } from "../core/validation.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { eventPageSql, eventPositionSql, targetPositionSql } from "../sql/replay-statements.ts";
import { canonicalTenant } from "../core/canonical-id.ts";
import { planEvent } from "./apply-event.ts";
import { routeEvent } from "../core/replay-routes.ts";
import type { ReplayEnv } from "./replay-env.ts";
import type { ReplayOptions, ReplayResult } from "./replay-types.ts";
import { type CallStats, newStats, pageSizeOf, result, type RunState } from "./run-state.ts";
import { laterAdoption } from "./superseded.ts";

/**
 * Apply a planned event to the picture of which records exist (keyed by each target's
 * resource and the record id); or why the database would refuse it, leaving the picture as
 * it was (the event's writes go in one batch, all or nothing).
 */
async function track(
  env: ReplayEnv,
  live: Set<string>,
  event: StoredEvent,
  stats: CallStats,
): Promise<string | undefined> {
  const { targets } = routeEvent(env.log, env.resources, event);
  const changed = new Map<string, boolean>();
  const exists = (key: string): boolean => changed.get(key) ?? live.has(key);
  for (const target of targets) {
    const key = `${target.resource.name}\u0000${event.recordId}`;
    const type = target.action?.type ?? "create";
    if (type === "create" && exists(key)) return "the record it creates already exists";
    if (type !== "create" && !exists(key)) {
      const adoption = await laterAdoption(env, event, targets, stats);
      return adoption === undefined
        ? "the record it changes does not exist"
        : `superseded by the adoption at position ${adoption}`;
    }
    if (type === "create") changed.set(key, true);
    else if (type === "destroy") changed.set(key, false);
  }
  for (const [key, present] of changed) {
    if (present) live.add(key);
    else live.delete(key);
  }
  return undefined;
}

/** Plan every event in scope against an in-memory picture of which records exist; write nothing. */
export async function dryRun(env: ReplayEnv, options: ReplayOptions): Promise<ReplayResult> {
  const stats = newStats();
  const tenant = options.tenant === undefined ? null : String(canonicalTenant(options.tenant));
  let targetPosition: bigint | null = null;
  if (options.untilEventId !== undefined) {
    const row = (await env.db.query(eventPositionSql(env.log, options.untilEventId))).rows[0];
    stats.roundTrips++;
    if (row === undefined) throw validationError("No event has that id", "untilEventId", "not_found");
    targetPosition = BigInt(row["position"] as bigint);
  }
  // The same target as a real replay: a time bound resolved to the last position at or before it.
  if (targetPosition === null || options.untilTime !== undefined) {
    const target = { position: targetPosition, untilTime: options.untilTime ?? null, tenant };
    targetPosition = BigInt((await env.db.query(targetPositionSql(env.log, target))).rows[0]!["position"] as bigint);
    stats.roundTrips++;
  }
  const state: RunState = {
    replayId: "",
    bounds: { targetPosition, tenant },
    onError: options.onError ?? "stop",
    pageSize: pageSizeOf(env.config, options.pageSize),
    lastPosition: 0n,
    applied: 0,
    skipped: 0,
    routed: 0,
  };
  const live = new Set<string>();
  for (;;) {
    const page = await env.db.query(eventPageSql(env.log, state.bounds, state.lastPosition, state.pageSize));
    stats.roundTrips++;
    if (page.rows.length === 0) break;
    stats.pages++;
    for (const event of page.rows.map((row) => rowToEvent(env.log, row))) {
      state.lastPosition = event.position;
      let reason: string | undefined;
      const plan = await planEvent(env, event);
      if ("failure" in plan) reason = plan.failure;
      else reason = await track(env, live, event, stats);
      if (reason === undefined) {
        state.applied++;
        if ("routed" in plan && plan.routed) state.routed++;
      } else {
        state.skipped++;
        stats.skippedEvents.push({ position: event.position, eventId: event.id, reason });
      }
    }
    options.onProgress?.(result(state, stats, false));
  }
  return { ...result(state, stats, true), dryRun: true };
}
