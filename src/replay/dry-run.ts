/**
 * Dry runs: plan every event in scope, tracking in memory which records would exist, and
 * report what would be applied or skipped. Nothing is written; no fence is raised.
 * @module
 */
import { rowToEvent } from "../core/record-mapping.ts";
import { validationError } from "../core/validation.ts";
import { eventPageSql, eventPositionSql, laterAdoptionSql, targetPositionSql } from "../sql/replay-statements.ts";
import { planEvent, replayTargets } from "./apply-event.ts";
import type { ReplayEnv } from "./replay-engine.ts";
import type { ReplayOptions, ReplayResult } from "./replay-types.ts";
import { newStats, pageSizeOf, result, type RunState } from "./run-state.ts";
import { canonicalTenant } from "../core/canonical-id.ts";

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
    replayId: "", bounds: { targetPosition, tenant }, onError: options.onError ?? "stop",
    pageSize: pageSizeOf(env.config, options.pageSize), lastPosition: 0n, applied: 0, skipped: 0, routed: 0,
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
      else {
        for (const target of replayTargets(env.log, env.resources, event).targets) {
          const key = `${target.resource.name}\u0000${event.recordId}`;
          const type = target.action?.type ?? "create";
          if (type === "create" && live.has(key)) reason = "the record it creates already exists";
          else if (type !== "create" && !live.has(key)) {
            const adoption = (await env.db.query(laterAdoptionSql(env.log, event.resource, event.recordId, event.position))).rows[0];
            stats.roundTrips++;
            reason = adoption === undefined ? "the record it changes does not exist" : `superseded by the adoption at position ${String(adoption["position"])}`;
          }
          else if (type === "create") live.add(key);
          else if (type === "destroy") live.delete(key);
        }
      }
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

