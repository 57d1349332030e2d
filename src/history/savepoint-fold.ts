/**
 * One record's state, folded in memory from its events through the same routing, aliases,
 * upcasters and pinned `changes` as replay (`eventEffects` and `evolve` of
 * src/core/event-effect.ts), from nothing or from a savepoint. Pure: no database, no clock.
 * @module
 */
import { type EffectEnv, eventEffects, evolve } from "../core/event-effect.ts";
import { FoldError } from "../core/errors.ts";
import type { AnyResource } from "../core/resource.ts";
import type { StoredEvent } from "../core/stored-event.ts";

/** What a record's fold needs: the routing environment and which record. */
export interface RecordFoldEnv extends EffectEnv {
  /** The record's resource. */
  readonly resource: AnyResource;
  /** The record id as events store it (`canonicalRecordId`). */
  readonly recordId: string;
}

/** Where a fold starts: a state at a position (a savepoint). */
export interface FoldStart {
  /** The record's state at `position`; undefined: no record. */
  readonly state: Readonly<Record<string, unknown>> | undefined;
  /** The position the state was folded to: events at or before it are not folded again. */
  readonly position: bigint;
  /** The stored text of timestamp attributes (see {@link RecordFold.timestampTexts}). */
  readonly timestampTexts?: Readonly<Record<string, string>>;
}

/** The result of a fold. */
export interface RecordFold {
  /** The record after the last event folded; undefined: not created yet, or destroyed. */
  readonly state: Record<string, unknown> | undefined;
  /** The position of the last event folded (or of the start); undefined: nothing folded. */
  readonly position: bigint | undefined;
  /** The last event folded; with `state` undefined, a destroy tells a destroyed record. */
  readonly last: StoredEvent | undefined;
  /** How many events were folded after the start. */
  readonly folded: number;
  /**
   * The exact text `changes` pinned for timestamp attributes that hold it: a Date keeps
   * milliseconds, the stored text keeps a database-computed value's microseconds, so a row
   * rebuilt from the state (`materialize`) is identical to the live one.
   */
  readonly timestampTexts: Readonly<Record<string, string>>;
}

/** Options of {@link foldRecord}. */
export interface FoldOptions {
  /** Fold only events at or before this position (the later ones still show later adoptions). */
  readonly upTo?: bigint;
}

function laterAdoption(env: RecordFoldEnv, events: readonly StoredEvent[], index: number): boolean {
  for (let i = index + 1; i < events.length; i++) {
    const e = events[i]!;
    if (e.resource === env.resource.name && e.recordId === env.recordId && e.action === "adopt") {
      if (e.actionType === "create") return true;
    }
  }
  return false;
}

/**
 * Fold a record's events, in position order, into its state: from nothing, or from `from`
 * (events at or before its position are skipped). Only the effects on this record (the
 * resource and id of `env`) count: a routed event may also change other records. An update
 * or destroy of a record not yet created is skipped when the record is adopted later (replay
 * skips it as superseded, `src/replay/superseded.ts`).
 *
 * @param env the log's routes, the store's resources, the record
 * @param events the record's events (and those routed to it) in position order
 * @param from a savepoint to start from
 * @param options `upTo`: the last position to fold
 * @returns the state, the position folded to and the last event
 * @throws {FoldError} code `FOLD_FAILED` naming the event that cannot be applied
 * @example
 * ```ts
 * const { state, position } = await foldRecord({ log, resources, resource: Account, recordId }, events);
 * ```
 */
export async function foldRecord(
  env: RecordFoldEnv,
  events: readonly StoredEvent[],
  from?: FoldStart,
  options: FoldOptions = {},
): Promise<RecordFold> {
  let state: Record<string, unknown> | undefined = from?.state === undefined ? undefined : { ...from.state };
  let position = from?.position;
  const texts: Record<string, string> = { ...from?.timestampTexts };
  let last: StoredEvent | undefined;
  let folded = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (from !== undefined && event.position <= from.position) continue;
    if (options.upTo !== undefined && event.position > options.upTo) break;
    try {
      const { effects } = await eventEffects(env, event);
      for (const effect of effects) {
        if (effect.resource.name !== env.resource.name || effect.recordId !== env.recordId) continue;
        if (state === undefined && effect.kind !== "insert" && laterAdoption(env, events, i)) continue;
        state = evolve(state, effect);
        if (effect.kind === "delete") {
          for (const key of Object.keys(texts)) delete texts[key];
          continue;
        }
        if (effect.kind === "insert") { for (const key of Object.keys(texts)) delete texts[key]; }
        for (const [key, value] of Object.entries(effect.attributes)) {
          const stored = event.changes[key];
          if (
            value instanceof Date && typeof stored === "string" && Date.parse(stored) === value.getTime() &&
            stored !== value.toISOString()
          ) {
            texts[key] = stored;
          } else delete texts[key];
        }
      }
    } catch (error) {
      if (error instanceof FoldError) throw error;
      const what = `event at position ${event.position} (${event.resource}.${event.action} v${event.version})`;
      const message = error instanceof Error ? error.message : `Could not fold the ${what}`;
      throw new FoldError(message, { position: event.position, eventId: event.id }, { cause: error });
    }
    position = event.position;
    last = event;
    folded++;
  }
  return { state, position, last, folded, timestampTexts: texts };
}

/**
 * The resources whose events may change records of `resource`: itself, and each resource a
 * replay route sends to it. A record's history is read from these.
 */
export function sourceResources(env: EffectEnv, resource: AnyResource): string[] {
  const sources = new Set([resource.name]);
  for (const override of env.log.replayOverrides) {
    if (override.routeTo.some(([target]) => target === resource.name)) sources.add(override.resource);
  }
  return [...sources].sort();
}
