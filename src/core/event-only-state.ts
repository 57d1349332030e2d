/**
 * The state of an event-only record (`table: false`): its events folded in memory through
 * the same effects replay applies (`eventEffects`, `evolve`), so routing, aliases, upcasters
 * and pinned `changes` are never decided twice.
 * @module
 */
import { type EffectEnv, eventEffects, evolve } from "./event-effect.ts";
import type { AnyResource } from "./resource.ts";
import type { StoredEvent } from "./stored-event.ts";

/** A folded record: its state (undefined: never created, or destroyed) and its last event's position. */
export interface FoldedRecord {
  readonly state: Readonly<Record<string, unknown>> | undefined;
  /** The position of the last event folded; null when none was. */
  readonly lastPosition: bigint | null;
}

/** Nothing folded yet. */
export const NO_STATE: FoldedRecord = Object.freeze({ state: undefined, lastPosition: null });

/**
 * Fold `events` (one record's, in position order) into `start`. Only the effects on this very
 * record count (a routed event may also target other resources).
 * @throws {EventEffectError} when an event cannot be applied (see `eventEffects`, `evolve`)
 */
export async function foldRecord(
  env: EffectEnv,
  record: { readonly resource: AnyResource; readonly recordId: string },
  events: readonly StoredEvent[],
  start: FoldedRecord = NO_STATE,
): Promise<FoldedRecord> {
  let state = start.state;
  let lastPosition = start.lastPosition;
  for (const event of events) {
    const { effects } = await eventEffects(env, event);
    for (const effect of effects) {
      if (effect.resource === record.resource && effect.recordId === record.recordId) state = evolve(state, effect);
    }
    lastPosition = event.position;
  }
  return { state, lastPosition };
}
