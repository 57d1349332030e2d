/**
 * `verifyChainStep` and `verifyChain`: walk the hash chains of a log in bounded pages with an
 * opaque cursor, recomputing every hash, and name the first bad event (docs/integrity.md).
 * @module
 */
import type { EventLog } from "../core/event-log.ts";
import type { Row } from "../core/executor.ts";
import type { EventStore } from "../core/store-types.ts";
import { fromBase64Url, toBase64Url } from "../core/cursor-text.ts";
import { validationError } from "../core/validation.ts";
import {
  actorAlias,
  chainPageSql,
  chainPredecessorSql,
  type ChainSelector,
  nextTenantSql,
} from "../sql/chain-statements.ts";
import { envelopeActorColumns } from "../sql/chain-ddl.ts";
import type { ChainedEvent } from "./chain-envelope.ts";
import { type ChainFailure, type ChainMark, markMissing, startWalk, walkChain, type WalkState } from "./chain-walk.ts";
import { type Checkpoint, checkpointMark } from "./checkpoint.ts";

/** What the chain functions read from the store (any {@link EventStore} has it). */
export type ChainStore = Pick<EventStore, "log" | "db">;

/** Options of {@link verifyChainStep} and {@link verifyChain}. */
export interface VerifyChainOptions {
  /** Under the tenant chain scope: verify this tenant's chain only (null: the events without a tenant). */
  readonly tenant?: string | null;
  /** Start at this position, taking the stored hash of the chained event before it as given. */
  readonly from?: bigint | number;
  /** The cursor a step returned: go on from there (the other options are in it). */
  readonly cursor?: string;
  /** Events per step, 1 to 10000 (default 1000). */
  readonly limit?: number;
  /**
   * A signed checkpoint of the chain to verify (with `key`): the walk must pass its event with
   * its hash, which no rewrite of the chain before it can keep without the key.
   */
  readonly checkpoint?: Checkpoint;
  /** The key that verifies `checkpoint`'s signature (the public key, or the HMAC key). */
  readonly key?: CryptoKey;
}

/** Where a verification stands after a step (or at its end). */
export interface ChainVerification {
  /** No bad event was found (so far, when not `done`). */
  readonly ok: boolean;
  /** The walk reached the end of the chains, or a bad event. */
  readonly done: boolean;
  /** Pass it to the next step; null when `done`. */
  readonly cursor: string | null;
  /** Events checked so far, all steps together (events before a chain's genesis included). */
  readonly checked: number;
  /** The last position checked, or null before the first. */
  readonly position: bigint | null;
  /** The first bad event, or null. */
  readonly failure: ChainFailure | null;
}

/** Events read past a page, to tell kinds of tampering apart (a swap of neighbours, an insertion). */
const LOOKAHEAD = 4;

interface StepState {
  /** Every tenant chain in turn (tenant scope without a tenant), else one. */
  readonly walkAll: boolean;
  readonly chain: ChainSelector;
  readonly after: string;
  readonly from: string;
  readonly walk: WalkState | null;
  readonly checked: number;
  readonly mark: { position: string; eventId: string; hash: string } | null;
}

function encodeCursor(state: StepState): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ v: 1, ...state }));
  return toBase64Url(String.fromCharCode(...bytes));
}

function decodeCursor(cursor: string): StepState {
  const text = typeof cursor === "string" ? fromBase64Url(cursor) : undefined;
  try {
    const body = JSON.parse(new TextDecoder().decode(Uint8Array.from(text ?? "", (c) => c.charCodeAt(0))));
    if (body?.v === 1 && typeof body.after === "string" && typeof body.checked === "number") return body as StepState;
  } catch {
    // reported below
  }
  throw validationError("cursor is not a cursor of a chain verification", "cursor", "cursor");
}

function initialState(
  log: EventLog,
  options: VerifyChainOptions,
  checked: { mark?: ChainMark; tenant?: string | null },
): StepState {
  if (!log.integrity.chain) {
    throw new TypeError("This log has no hash chain (defineEventLog({ integrity: { chain: true } }))");
  }
  const scope = log.integrity.chainScope;
  const { mark } = checked;
  if (mark !== undefined && options.tenant !== undefined && options.tenant !== checked.tenant) {
    throw new TypeError("The checkpoint is of another tenant's chain");
  }
  const chosen = mark !== undefined && scope === "tenant" ? checked.tenant : options.tenant;
  if (scope === "global" && chosen !== undefined && chosen !== null) {
    throw new TypeError("The log has one global chain: verify it without a tenant");
  }
  const from = options.from === undefined ? 0n : BigInt(options.from);
  return {
    walkAll: scope === "tenant" && chosen === undefined,
    chain: scope === "global" ? { all: true } : { tenant: chosen ?? null },
    after: "0",
    from: String(from),
    walk: null,
    checked: 0,
    mark: mark === undefined ? null : { ...mark, position: String(mark.position) },
  };
}

/** A row of `chainPageSql` as the chain sees it. */
export function rowToChainedEvent(log: EventLog, row: Row): ChainedEvent {
  const actors: Record<string, string> = {};
  for (const column of envelopeActorColumns(log)) {
    const value = row[actorAlias(column)];
    if (value !== null && value !== undefined) actors[column] = String(value);
  }
  const text = (key: string): string | null => (row[key] === null || row[key] === undefined ? null : String(row[key]));
  return {
    id: String(row["id"]),
    position: String(row["position"]),
    tenant: text("tenant"),
    resource: String(row["resource"]),
    recordId: String(row["record_id"]),
    action: String(row["action"]),
    actionType: String(row["action_type"]),
    version: Number(row["version"]),
    occurredAt: String(row["occurred_at"]),
    correlationId: String(row["correlation_id"]),
    causationId: text("causation_id"),
    parentId: text("parent_id"),
    actors,
    data: String(row["data"]),
    changes: String(row["changes"]),
    metadata: String(row["metadata"]),
    prevHash: text("prev_hash"),
    hash: text("hash"),
  };
}

async function startOf(store: ChainStore, state: StepState): Promise<WalkState> {
  if (BigInt(state.from) === 0n) return startWalk();
  const row = (await store.db.query(chainPredecessorSql(store.log, state.chain, BigInt(state.from)))).rows[0];
  const hash = row?.["hash"];
  return startWalk(typeof hash === "string" ? hash : null);
}

function result(state: StepState, done: boolean, failure: ChainFailure | null, position: bigint | null) {
  return Object.freeze({
    ok: failure === null,
    done: done || failure !== null,
    cursor: done || failure !== null ? null : encodeCursor(state),
    checked: state.checked,
    position,
    failure,
  });
}

async function checkedMark(options: VerifyChainOptions): Promise<{ mark?: ChainMark; tenant?: string | null }> {
  if (options.checkpoint === undefined) return {};
  if (options.key === undefined) throw new TypeError("checkpoint needs the key that verifies its signature");
  return { mark: await checkpointMark(options.checkpoint, options.key), tenant: options.checkpoint.chain.tenant };
}

/**
 * One bounded step of a chain verification: reads at most `limit` events (and a few more as
 * lookahead) in one query, plus one small query when a chain ends or starts mid-way. Start
 * without a cursor, then pass each step's cursor until `done`.
 *
 * @returns where the verification stands; `failure` names the first bad event and why
 * @throws {TypeError} when the log has no chain, a tenant is given for a global chain, or a
 *   checkpoint comes without its key
 * @throws {ValidationError} code `VALIDATION_FAILED` for a cursor that is not one of these, or
 *   a checkpoint whose signature does not verify
 * @example
 * ```ts
 * import { type EventStore, verifyChainStep } from "edge-events";
 *
 * async function verifyAll(store: EventStore): Promise<boolean> {
 *   let step = await verifyChainStep(store, { limit: 500 });
 *   while (!step.done) step = await verifyChainStep(store, { cursor: step.cursor! });
 *   return step.ok;
 * }
 * ```
 */
export async function verifyChainStep(store: ChainStore, options: VerifyChainOptions = {}): Promise<ChainVerification> {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new RangeError("limit must be an integer from 1 to 10000");
  }
  let state: StepState;
  if (options.cursor !== undefined) {
    state = decodeCursor(options.cursor);
    // A cursor is no credential: with a tenant, it must walk that tenant's chain alone.
    if (
      options.tenant !== undefined &&
      (state.walkAll || !("tenant" in state.chain) || state.chain.tenant !== options.tenant)
    ) {
      throw validationError("cursor is not a cursor of this tenant's chain", "cursor", "cursor");
    }
  } else {
    state = initialState(store.log, options, await checkedMark(options));
  }
  const mark: ChainMark | undefined = state.mark === null
    ? undefined
    : { ...state.mark, position: BigInt(state.mark.position) };
  const walk = state.walk ?? await startOf(store, state);
  const page = chainPageSql(store.log, {
    chain: state.chain,
    after: BigInt(state.after),
    from: BigInt(state.from),
    limit: limit + LOOKAHEAD,
  });
  const events = (await store.db.query(page)).rows.map((row) => rowToChainedEvent(store.log, row));
  const walked = await walkChain(walk, events, limit, mark);
  const last = walked.verified === 0 ? null : events[walked.verified - 1]!;
  const position = last === null ? (state.after === "0" ? null : BigInt(state.after)) : BigInt(last.position);
  state = {
    ...state,
    walk: walked.state,
    checked: state.checked + walked.verified,
    after: last?.position ?? state.after,
  };
  if (walked.failure !== undefined) return result(state, true, walked.failure, position);
  if (events.length > limit) return result(state, false, null, position);
  // The chain ends here.
  const tenant = "tenant" in state.chain ? state.chain.tenant : null;
  if (mark !== undefined && !walked.state.markPassed) return result(state, true, markMissing(mark, tenant), position);
  if (!state.walkAll) return result(state, true, null, position);
  const next = (await store.db.query(nextTenantSql(store.log, tenant))).rows[0]?.["tenant"];
  if (typeof next !== "string") return result(state, true, null, position);
  return result({ ...state, chain: { tenant: next }, after: "0", walk: null }, false, null, position);
}

/**
 * Verify the hash chains of the log to their ends (or from `from`), step after bounded step
 * (see {@link verifyChainStep}), calling `onProgress` after each.
 *
 * @returns ok, or the first bad event with the reason: `payload_edited`, `hash_edited`,
 *   `event_deleted`, `event_inserted`, `events_reordered`, `checkpoint_mismatch`
 * @throws {TypeError} as {@link verifyChainStep}
 * @example
 * ```ts
 * import { type EventStore, verifyChain } from "edge-events";
 *
 * async function audit(store: EventStore): Promise<void> {
 *   const result = await verifyChain(store);
 *   if (!result.ok) console.log(result.failure!.reason, result.failure!.eventId);
 * }
 * ```
 */
export async function verifyChain(
  store: ChainStore,
  options: VerifyChainOptions & { readonly onProgress?: (step: ChainVerification) => void } = {},
): Promise<ChainVerification> {
  const { onProgress, cursor: _cursor, ...first } = options;
  let step = await verifyChainStep(store, options.cursor === undefined ? first : options);
  onProgress?.(step);
  while (!step.done) {
    step = await verifyChainStep(store, {
      cursor: step.cursor!,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    onProgress?.(step);
  }
  return step;
}
