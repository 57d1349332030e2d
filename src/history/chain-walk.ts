/**
 * The verification of one hash chain, event by event in position order (docs/integrity.md,
 * "Verification"): pure, resumable from a small state, shared by `verifyChain` (pages read from
 * the database) and `verifyExport` (a JSON export). A few events after the verified ones serve
 * as lookahead, to tell the kinds of tampering apart.
 * @module
 */
import { type ChainedEvent, chainHash } from "./chain-envelope.ts";

/** Why verification stopped at an event. */
export type ChainFailureReason =
  | "payload_edited"
  | "hash_edited"
  | "event_deleted"
  | "event_inserted"
  | "events_reordered"
  | "checkpoint_mismatch";

/** The first bad event of a chain, and why. */
export interface ChainFailure {
  /** What was done to the chain here. */
  readonly reason: ChainFailureReason;
  /** The event named: the edited, inserted or first misplaced one, or the first after a gap. */
  readonly eventId: string;
  /** The named event's position. */
  readonly position: bigint;
  /** The chain: its tenant under the tenant chain scope, else null. */
  readonly tenant: string | null;
  /** One sentence, without payloads. */
  readonly message: string;
}

/** What a checkpoint says of a chain: its event at `position` had `hash`. */
export interface ChainMark {
  readonly position: bigint;
  readonly eventId: string;
  readonly hash: string;
}

/** How many verified events back an insertion is recognized (their hashes are kept). */
export const RECENT_HASHES = 16;

/** Where the walk of one chain stands (JSON-safe: it travels in cursors). */
export interface WalkState {
  /** A chained event, or a trusted predecessor, came before. */
  readonly started: boolean;
  /** The stored hash of the last chained event. */
  readonly lastHash: string | null;
  /** The last verified events of the chain: `[hash, position, id]`, oldest first. */
  readonly recent: readonly (readonly [string, string, string])[];
  /** Whether the walk passed the checkpoint's position. */
  readonly markPassed: boolean;
}

/** The state of a chain not yet walked; `trusted` starts after a predecessor taken as given. */
export function startWalk(trusted: string | null = null): WalkState {
  return { started: trusted !== null, lastHash: trusted, recent: [], markPassed: false };
}

function fail(reason: ChainFailureReason, event: ChainedEvent, message: string): ChainFailure {
  return { reason, eventId: event.id, position: BigInt(event.position), tenant: event.tenant, message };
}

/** Why the link of `event` (its prev_hash is not the stored hash before it) is broken. */
function linkBreak(state: WalkState, event: ChainedEvent, ahead: readonly ChainedEvent[]): ChainFailure {
  const at = state.recent.findIndex(([hash]) => hash === event.prevHash);
  if (at >= 0) {
    // It links to an earlier event: the events after that one were inserted.
    const [, position, id] = state.recent[at + 1] ?? [null, event.position, event.id];
    const first = { ...event, id, position };
    return fail("event_inserted", first, "the events after an earlier event were inserted before this one");
  }
  if (ahead.some((e) => e.hash !== null && e.hash === event.prevHash)) {
    return fail("events_reordered", event, "this event links to an event that comes after it");
  }
  if (ahead[0] !== undefined && ahead[0].prevHash === state.lastHash) {
    return fail("event_inserted", event, "the chain goes on past this event, which it does not include");
  }
  return fail("event_deleted", event, "the event this one links to is missing");
}

/** Why the stored hash of `event` is not the hash of its content. */
function contentBreak(event: ChainedEvent, computed: string, ahead: readonly ChainedEvent[]): ChainFailure {
  const next = ahead[0];
  if (next !== undefined && next.prevHash === computed) {
    return fail("hash_edited", event, "the stored hash was changed; the content is what the chain recorded");
  }
  if (next !== undefined && event.prevHash !== null && next.prevHash === event.prevHash) {
    return fail("event_inserted", event, "the chain goes on past this event, which it does not include");
  }
  return fail("payload_edited", event, "the event's content is not what its hash recorded");
}

/**
 * Verify `events[0 .. count)` of one chain, in position order; the events after them are
 * lookahead only. Events before a chain's genesis (no hash) are skipped.
 *
 * @param mark a checkpoint of this chain the walk must pass through unchanged
 * @returns the new state, and the first failure if one was found
 */
export async function walkChain(
  state: WalkState,
  events: readonly ChainedEvent[],
  count: number,
  mark?: ChainMark,
): Promise<{ state: WalkState; failure?: ChainFailure; verified: number }> {
  let { started, lastHash, recent, markPassed } = state;
  let verified = 0;
  for (let i = 0; i < count && i < events.length; i++) {
    const event = events[i]!;
    const ahead = events.slice(i + 1);
    const position = BigInt(event.position);
    const snapshot = (): WalkState => ({ started, lastHash, recent, markPassed });
    if (mark !== undefined && !markPassed && position > mark.position) {
      return { state: snapshot(), verified, failure: markMissing(mark, event.tenant) };
    }
    if (event.hash === null) {
      if (started) {
        return { state: snapshot(), verified, failure: fail("event_inserted", event, "an event without a hash") };
      }
      verified++;
      continue;
    }
    if (!started && event.prevHash !== null) {
      return {
        state: snapshot(),
        verified,
        failure: fail("event_deleted", event, "the start of the chain is missing"),
      };
    }
    if (started && event.prevHash !== lastHash) {
      return { state: snapshot(), verified, failure: linkBreak(snapshot(), event, ahead) };
    }
    const computed = await chainHash(event, event.prevHash);
    if (computed !== event.hash) return { state: snapshot(), verified, failure: contentBreak(event, computed, ahead) };
    if (mark !== undefined && position === mark.position) {
      if (event.id !== mark.eventId || event.hash !== mark.hash) {
        return {
          state: snapshot(),
          verified,
          failure: fail("checkpoint_mismatch", event, "the chain differs from the signed checkpoint at this event"),
        };
      }
      markPassed = true;
    }
    started = true;
    lastHash = event.hash;
    recent = [...recent, [event.hash, event.position, event.id] as const].slice(-RECENT_HASHES);
    verified++;
  }
  return { state: { started, lastHash, recent, markPassed }, verified };
}

/** The failure of a walk that ended, or went past the checkpoint's position, without its event. */
export function markMissing(mark: ChainMark, tenant: string | null): ChainFailure {
  return {
    reason: "event_deleted",
    eventId: mark.eventId,
    position: mark.position,
    tenant,
    message: "the event of the signed checkpoint is missing",
  };
}
