/**
 * The one fold of a record's events, in memory: what history (`stateAt`, `diff`, `timeline`),
 * savepoints, `materialize` and the write path of event-only resources all fold with. It
 * decides nothing about what an event does (that is `eventEffects` and `evolve` of
 * `event-effect.ts`, shared with replay); it decides which effects count for this record, when
 * an event is superseded by a later adoption (as replay skips it), where a fold starts (a
 * savepoint), what a timestamp's stored text is, and whether the record is destroyed. It lives
 * in core because the write path needs it and core imports nothing from `src/history`. Pure:
 * no database, no clock.
 * @module
 */
import { FoldError } from "./errors.ts";
import { appliedAttributes, type EffectEnv, eventEffects, evolve } from "./event-effect.ts";
import type { AnyResource } from "./resource.ts";
import type { StoredEvent } from "./stored-event.ts";

/** What a record's fold needs: the routing environment and which record. */
export interface RecordFoldEnv extends EffectEnv {
  /** The record's resource. */
  readonly resource: AnyResource;
  /** The record id as events store it (`canonicalRecordId`). */
  readonly recordId: string;
}

/** A record's attributes, as the fold holds them. */
export type FoldedRecord = Readonly<Record<string, unknown>>;

/** Where a fold stands after an event. */
export interface FoldState {
  /** The record; undefined: not created yet, or hard-destroyed. */
  readonly record: FoldedRecord | undefined;
  /** The event that destroyed it (hard, or soft while it stays soft-destroyed), when known. */
  readonly destroyedBy: StoredEvent | undefined;
  /**
   * The exact text `changes` pinned for timestamp attributes that hold it: a Date keeps
   * milliseconds, the stored text keeps a database-computed value's microseconds, so a row
   * rebuilt from the state (`materialize`) is identical to the live one.
   */
  readonly timestampTexts: Readonly<Record<string, string>>;
}

/** No record. */
export const NO_RECORD: FoldState = /* @__PURE__ */ Object.freeze({
  record: undefined,
  destroyedBy: undefined,
  timestampTexts: /* @__PURE__ */ Object.freeze({}),
});

/** Where a fold starts: a state at a position (a savepoint); events at or before it are not folded again. */
export interface FoldStart {
  readonly position: bigint;
  readonly state: FoldState;
}

/** The empty start: no record before the first event. */
export const FROM_START: FoldStart = /* @__PURE__ */ Object.freeze({ position: 0n, state: NO_RECORD });

/** One event of a fold and the state before and after it. */
export interface FoldStep {
  readonly event: StoredEvent;
  readonly before: FoldState;
  readonly after: FoldState;
  /** The event changed a record that an adoption after it brought in: skipped, as replay skips it. */
  readonly superseded: boolean;
}

/** What a fold reached. */
export interface RecordFold {
  /** Each event folded, with the state before and after it. */
  readonly steps: readonly FoldStep[];
  /** The state after the last event folded (the start's, when none was). */
  readonly state: FoldState;
  /** The position of the last event folded, else the start's (undefined from the start). */
  readonly position: bigint | undefined;
  /** The last event folded. */
  readonly last: StoredEvent | undefined;
  /** How many events were folded after the start. */
  readonly folded: number;
}

/** Options of {@link foldRecord}. */
export interface FoldOptions {
  /** Start from this state and position (a savepoint); default {@link FROM_START}. */
  readonly from?: FoldStart | undefined;
  /** Fold only events at or before this position. */
  readonly upTo?: bigint | undefined;
  /**
   * The position of the record's last adoption, when the caller read it apart from `events`;
   * by default, found among `events` (which may run past `upTo` for that purpose).
   */
  readonly adoptedAt?: bigint | undefined;
}

/** Whether any soft-destroy attribute of `resource` is set on `record`. */
export function softDestroyed(resource: AnyResource, record: FoldedRecord | undefined): boolean {
  return record !== undefined &&
    resource.softDeleteAttributes.some((a) => record[a] !== undefined && record[a] !== null);
}

/**
 * The position of the record's last adoption among `events`: its last create event (an
 * adoption records `adopt` or the create action its caller named; see `laterAdoptionSql`).
 */
function lastAdoption(env: RecordFoldEnv, events: readonly StoredEvent[]): bigint | undefined {
  let at: bigint | undefined;
  for (const e of events) {
    if (e.resource === env.resource.name && e.recordId === env.recordId && e.actionType === "create") at = e.position;
  }
  return at;
}

/** The stored texts of timestamps after `attributes` were set by `event`. */
function timestampTexts(
  before: Readonly<Record<string, string>>,
  event: StoredEvent,
  attributes: Readonly<Record<string, unknown>>,
): Readonly<Record<string, string>> {
  const texts: Record<string, string> = { ...before };
  for (const [key, value] of Object.entries(attributes)) {
    const stored = event.changes[key];
    const exact = value instanceof Date && typeof stored === "string" && Date.parse(stored) === value.getTime() &&
      stored !== value.toISOString();
    if (exact) texts[key] = stored;
    else delete texts[key];
  }
  return Object.freeze(texts);
}

/** The state after the effects of `event` on this record (or the error naming the event). */
async function step(
  env: RecordFoldEnv,
  event: StoredEvent,
  before: FoldState,
  adoptedAt: bigint | undefined,
): Promise<{ state: FoldState; superseded: boolean }> {
  let record = before.record;
  let texts = before.timestampTexts;
  let superseded = false;
  let deleted = false;
  try {
    const { effects } = await eventEffects(env, event);
    for (const effect of effects) {
      if (effect.resource.name !== env.resource.name || effect.recordId !== env.recordId) continue;
      if (record === undefined && effect.kind !== "insert" && adoptedAt !== undefined && adoptedAt > event.position) {
        superseded = true;
        continue;
      }
      const prior = record;
      record = evolve(record, effect);
      deleted = effect.kind === "delete";
      texts = effect.kind === "delete" ? NO_RECORD.timestampTexts : timestampTexts(
        effect.kind === "insert" && prior === undefined ? {} : texts,
        event,
        appliedAttributes(prior, effect),
      );
    }
  } catch (error) {
    const what = `event at position ${event.position} (${event.resource}.${event.action} v${event.version})`;
    const message = error instanceof Error ? error.message : `Could not fold the ${what}`;
    throw new FoldError(`The ${what} cannot be folded: ${message}`, { position: event.position, eventId: event.id }, {
      cause: error,
    });
  }
  const frozen = record === before.record ? before.record : record === undefined ? undefined : Object.freeze(record);
  let destroyedBy: StoredEvent | undefined;
  if (deleted) destroyedBy = event;
  else if (frozen === undefined) destroyedBy = before.destroyedBy;
  else if (softDestroyed(env.resource, frozen)) {
    destroyedBy = softDestroyed(env.resource, before.record) ? before.destroyedBy : event;
  }
  return { state: Object.freeze({ record: frozen, destroyedBy, timestampTexts: texts }), superseded };
}

/**
 * Fold a record's events, in position order, from nothing or from a savepoint (`from`; events
 * at or before its position are skipped). Only the effects on this record (the resource and id
 * of `env`) count: a routed event may also change other records. An update or destroy of a
 * record not yet created is skipped as superseded when the record is adopted later, as replay
 * skips it (`src/replay/superseded.ts`).
 *
 * @param env the log's routes, the store's resources, the record
 * @param events the record's events (and those routed to it) in position order
 * @param options `from` (a start), `upTo` (the last position to fold), `adoptedAt`
 * @returns each step with its before and after, the final state, position and last event
 * @throws {FoldError} code `FOLD_FAILED` naming the event (position and id) that cannot be
 *   applied: no action answers it, its data fails validation, or it does not fit the record
 * @example
 * ```ts
 * import type { AnyResource, EventStore, StoredEvent } from "edge-events";
 * import { foldRecord } from "./record-fold.ts";
 *
 * async function stateOf(store: EventStore, Account: AnyResource, id: string, events: StoredEvent[]) {
 *   const fold = await foldRecord({ log: store.log, resources: store.resources, resource: Account, recordId: id }, events);
 *   return fold.state.record; // undefined: not created yet, or destroyed
 * }
 * ```
 */
export async function foldRecord(
  env: RecordFoldEnv,
  events: readonly StoredEvent[],
  options: FoldOptions = {},
): Promise<RecordFold> {
  const from = options.from ?? FROM_START;
  const adoptedAt = options.adoptedAt ?? lastAdoption(env, events);
  const steps: FoldStep[] = [];
  let state = from.state;
  let last: StoredEvent | undefined;
  for (const event of events) {
    if (event.position <= from.position) continue;
    if (options.upTo !== undefined && event.position > options.upTo) break;
    const next = await step(env, event, state, adoptedAt);
    steps.push(Object.freeze({ event, before: state, after: next.state, superseded: next.superseded }));
    state = next.state;
    last = event;
  }
  const position = last?.position ?? (options.from === undefined ? undefined : from.position);
  return Object.freeze({ steps, state, position, last, folded: steps.length });
}

/** The state right after the last step at or before `position` (the start's state if none; null: none). */
export function stateAtPosition(
  fold: Pick<RecordFold, "steps">,
  position: bigint | null,
  from: FoldStart = FROM_START,
): { state: FoldState; last: FoldStep | undefined } {
  let last: FoldStep | undefined;
  if (position !== null) {
    for (const s of fold.steps) {
      if (s.event.position > position) break;
      last = s;
    }
  }
  return { state: last?.after ?? (position === null ? NO_RECORD : from.state), last };
}

/**
 * The resources whose events may change records of `resource`: itself, and each resource a
 * replay route sends to it. A record's events are read from these.
 */
export function sourceResources(env: EffectEnv, resource: AnyResource): string[] {
  const sources = new Set([resource.name]);
  for (const override of env.log.replayOverrides) {
    if (override.routeTo.some(([target]) => target === resource.name)) sources.add(override.resource);
  }
  return [...sources].sort();
}
