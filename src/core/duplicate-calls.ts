/**
 * Recognising a resent call: the ids of a batch's calls looked up in the event and
 * idempotency tables, each stored call compared with the one sent, and the original outcomes
 * returned as duplicates. The runner asks after a batch failed on a taken id.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { Executor, Row } from "./executor.ts";
import { canonicalJson, type JsonObject, toJson } from "./json.ts";
import type { Keyring } from "./keyring.ts";
import { markerJson, REDACTED } from "./sensitive-markers.ts";
import { reveal } from "./sensitive-values.ts";
import { markOf } from "./sensitivity.ts";
import { parseJson, rowToEvent } from "./record-mapping.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { ActionResult } from "./store-types.ts";
import type { PreparedCall } from "./prepare-call.ts";
import { inputToAttributes } from "./action-attributes.ts";
import { validationError } from "./validation.ts";
import { readIgnoredCallsSql } from "../sql/write-statements.ts";
import { readEventsByIdSql } from "../sql/read-events.ts";

/** What a call that wrote before is known by: its event, or its row in the idempotency table. */
interface StoredCall {
  readonly resource: string;
  readonly action: string;
  readonly recordId: string;
  readonly tenant: string | null;
  readonly data: JsonObject;
  readonly changes: JsonObject;
  /** Null for an ignored call. */
  readonly event: StoredEvent | null;
}

function storedIgnoredCall(row: Row): StoredCall {
  return {
    resource: String(row["resource"]),
    action: String(row["action"]),
    recordId: String(row["record_id"]),
    tenant: (row["tenant"] as string | null) ?? null,
    data: parseJson(row["data"]),
    changes: {},
    event: null,
  };
}

/**
 * Whether a stored call is this very call: same resource, action, tenant, record (for updates
 * and destroys) and validated input (compared canonically: `jsonb` does not keep key order).
 */
function sameCall(call: PreparedCall, stored: StoredCall, recordId: string): boolean {
  return stored.resource === call.resource.name && stored.action === call.actionName && stored.tenant === call.tenant &&
    (call.action.type === "create" || stored.recordId === recordId) &&
    canonicalJson(stored.data) === canonicalJson(comparableInput(call));
}

/**
 * The call's input as its revealed `data` reads: redacted keys as the marker (a redacted
 * value cannot be compared; the other keys and the id still must match).
 */
function comparableInput(call: PreparedCall): JsonObject {
  const input = toJson(call.input ?? {}) as JsonObject;
  const marks = call.resource.sensitive;
  let out: JsonObject | undefined;
  for (const key of Object.keys(input)) {
    if (markOf(marks, key) === "redact") (out ??= { ...input })[key] = markerJson(REDACTED);
  }
  return out ?? input;
}

/** A stored call with its encrypted `data` and `changes` decrypted (erased when the key is gone). */
async function revealed(call: PreparedCall, stored: StoredCall, keyring: Keyring | undefined): Promise<StoredCall> {
  const marks = call.resource.sensitive;
  const id = call.eventId;
  return {
    ...stored,
    data: await reveal(stored.data, "data", marks, keyring, id),
    changes: await reveal(stored.changes, "changes", marks, keyring, id),
  };
}

/**
 * Look up the ids of `calls` in the event table and the idempotency table. None found:
 * undefined. All found, each for this very call: the original outcomes as duplicates. Anything
 * else is a reused id: `VALIDATION_FAILED` naming `eventId`, with nothing of what is stored.
 * `readState` reads a record's current state (its row, or an event-only record's fold).
 */
export async function duplicateCalls(
  config: { readonly log: EventLog; readonly db: Executor; readonly keyring: Keyring | undefined },
  calls: readonly PreparedCall[],
  readState: (call: PreparedCall, recordId: string) => Promise<Record<string, unknown> | undefined>,
): Promise<ActionResult<unknown>[] | undefined> {
  const ids = calls.map((c) => c.eventId);
  const [events, ignored] = await config.db.batch([
    readEventsByIdSql(config.log, ids),
    readIgnoredCallsSql(config.log, ids),
  ], { readOnly: true });
  const tracked = new Map(events!.rows.map((row) => [String(row["id"]), rowToEvent(config.log, row)]));
  const untracked = new Map(ignored!.rows.map((row) => [String(row["id"]), storedIgnoredCall(row)]));
  const used = calls.filter((c) => tracked.has(c.eventId) || untracked.has(c.eventId));
  if (used.length === 0) return undefined;
  if (used.length !== calls.length) {
    throw validationError("Some event ids of this transaction were used before, some not", "eventId", "duplicate");
  }
  const stored = await Promise.all(calls.map((call): Promise<StoredCall | undefined> | undefined => {
    const found = call.tracked ? tracked.get(call.eventId) : untracked.get(call.eventId);
    if (found === undefined) return undefined;
    // `event` stays as stored; data and changes are compared and described in clear.
    return revealed(
      call,
      call.tracked ? { ...found, event: found as StoredEvent } : found as StoredCall,
      config.keyring,
    );
  }));
  // A retried transaction plans its creates' generated keys anew: a later call that addresses
  // a record created earlier in the transaction is compared with the record that create made.
  const created = new Map<string, string>();
  calls.forEach((call, i) => {
    if (call.action.type === "create" && stored[i] !== undefined) {
      created.set(`${call.resource.name}\0${call.recordId}`, stored[i]!.recordId);
    }
  });
  const same = (call: PreparedCall, i: number): boolean =>
    stored[i] !== undefined &&
    sameCall(call, stored[i]!, created.get(`${call.resource.name}\0${call.recordId}`) ?? call.recordId);
  // One answer for every mismatch, so that a guessed or leaked id tells nothing of its call.
  if (!calls.every(same)) {
    throw validationError("The event id was already used by another call", "eventId", "duplicate");
  }
  const out: ActionResult<unknown>[] = [];
  for (const [i, call] of calls.entries()) {
    const { recordId, data, changes, event } = stored[i]!;
    // The caller's tenant (equal to the stored one, as checked above), never the stored event's.
    const state = await readState(call, recordId);
    const described = call.action.type === "create"
      ? { ...inputToAttributes(call.resource, call.action, data), ...changes }
      : { [call.resource.primaryKey.attribute]: recordId, ...changes };
    out.push({
      record: state ?? described,
      event,
      duplicate: true,
      hookError: undefined,
    });
  }
  return out;
}
