/**
 * Folding one record's events in memory, through the same routing, aliases, upcasters and
 * pinned `changes` as replay (`eventEffects` and `evolve` of core/event-effect.ts; nothing
 * here decides what an event does), into the record before and after each event.
 * @module
 */
import { ReplayError } from "../core/errors.ts";
import { type EffectEnv, eventEffects, evolve } from "../core/event-effect.ts";
import { EventEffectError } from "../core/replay-routes.ts";
import type { AnyResource } from "../core/resource.ts";
import type { StoredEvent } from "../core/stored-event.ts";

/** A record's attributes, as the fold holds them (undefined: no row). */
export type FoldedRecord = Readonly<Record<string, unknown>>;

/** Where a fold stands: the record, and the event that destroyed it (hard, or soft while it stays so). */
export interface FoldState {
  readonly record: FoldedRecord | undefined;
  readonly destroyedBy: StoredEvent | undefined;
}

/**
 * Where a fold starts: nothing before position 0, or (for a later savepoint) the state a
 * savepoint stored at its position; the fold then reads only the events after it.
 */
export interface FoldSeed {
  readonly position: bigint;
  readonly state: FoldState;
}

/** The empty start: no record before the first event. */
export const FROM_START: FoldSeed = /* @__PURE__ */ Object.freeze({
  position: 0n,
  state: /* @__PURE__ */ Object.freeze({ record: undefined, destroyedBy: undefined }),
});

/** One event of the fold and the state before and after it. */
export interface FoldStep {
  readonly event: StoredEvent;
  readonly before: FoldState;
  readonly after: FoldState;
  /** The event changed a record that an adoption after it brought in: skipped, as replay skips it. */
  readonly superseded: boolean;
}

/** Whether any soft-destroy attribute of `resource` is set on `record`. */
export function softDestroyed(resource: AnyResource, record: FoldedRecord | undefined): boolean {
  return record !== undefined &&
    resource.softDeleteAttributes.some((a) => record[a] !== undefined && record[a] !== null);
}

/**
 * Fold `events` (the record's stream, in position order, after the seed's position) of
 * `resource`. An update or destroy of a record that does not exist yet, followed later by
 * its adoption (`adoptedAt`, the position of the record's last `adopt` event), is
 * superseded: the adoption's snapshot already holds it, and replay skips it too.
 * @throws {ReplayError} code `REPLAY_FAILED` (naming the event's position and id) for an
 *   event a replay could not apply either: no action answers it, its data fails validation,
 *   or it does not fit the record (a create of an existing record, a change of a missing one)
 */
export async function foldRecord(
  env: EffectEnv,
  resource: AnyResource,
  events: readonly StoredEvent[],
  adoptedAt: bigint | undefined,
  seed: FoldSeed = FROM_START,
): Promise<FoldStep[]> {
  const steps: FoldStep[] = [];
  let state = seed.state;
  for (const event of events) {
    const before = state;
    let record = before.record;
    let superseded = false;
    let deleted = false;
    try {
      const { effects } = await eventEffects(env, event);
      for (const effect of effects) {
        if (effect.resource !== resource) continue;
        if (record === undefined && effect.kind !== "insert" && adoptedAt !== undefined && adoptedAt > event.position) {
          superseded = true;
          continue;
        }
        record = evolve(record, effect);
        deleted = effect.kind === "delete";
      }
    } catch (error) {
      if (!(error instanceof EventEffectError)) throw error;
      throw new ReplayError(`The event at position ${event.position} cannot be folded: ${error.message}`, {
        cause: error,
        position: event.position,
        eventId: event.id,
      });
    }
    const frozen = record === before.record ? record : record === undefined ? undefined : asRow(resource, record);
    let destroyedBy: StoredEvent | undefined;
    if (deleted) destroyedBy = event;
    else if (frozen === undefined) destroyedBy = before.destroyedBy;
    else if (softDestroyed(resource, frozen)) {
      destroyedBy = softDestroyed(resource, before.record) ? before.destroyedBy : event;
    }
    state = Object.freeze({ record: frozen, destroyedBy });
    steps.push(Object.freeze({ event, before, after: state, superseded }));
  }
  return steps;
}

/** The record as its row holds it: every attribute, in schema order, NULL columns as null. */
function asRow(resource: AnyResource, record: Record<string, unknown>): FoldedRecord {
  const row: Record<string, unknown> = {};
  for (const attribute of resource.attributeNames) row[attribute] = record[attribute] ?? null;
  return Object.freeze(row);
}

/** The state right after the last step at or before `position` (the seed's state if none). */
export function stateAtPosition(steps: readonly FoldStep[], position: bigint | null, seed: FoldSeed = FROM_START): {
  state: FoldState;
  last: FoldStep | undefined;
} {
  let last: FoldStep | undefined;
  if (position !== null) {
    for (const step of steps) {
      if (step.event.position > position) break;
      last = step;
    }
  }
  return { state: last?.after ?? seed.state, last };
}
