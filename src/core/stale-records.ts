/**
 * Why a batch whose calls carried `expectedPosition` failed its precondition, in this order: the
 * log knows no such record (`NOT_FOUND`, as without a precondition); its last event is elsewhere
 * (`STALE_RECORD` with the actual position, also when that event destroyed it); it is gone at
 * the expected position itself (`NOT_FOUND`); the record held with the position is not the
 * stored one (`STALE_RECORD`, actual = expected).
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { Executor, QueryResult, SqlStatement } from "./executor.ts";
import { type EdgeEventsError, NotFoundError, StaleRecordError } from "./errors.ts";
import type { PreparedCall } from "./prepare-call.ts";
import { recordSelectorOf, writeTarget } from "./write-plan.ts";
import { readLastEventSql } from "../sql/last-event.ts";
import { readRecordSql } from "../sql/write-statements.ts";

/** What a call's record looks like now: its last event's position (0n: none) and whether it is live. */
interface Found {
  readonly actual: bigint;
  readonly live: boolean;
}

/** The statements that tell a call's record's last event and, for a table, whether its row is live. */
function probes(log: EventLog, call: PreparedCall): SqlStatement[] {
  const tenant = call.resource.tenant === undefined ? undefined : call.tenant ?? undefined;
  const last = readLastEventSql(log, { resource: call.resource.name, recordId: call.recordId, tenant });
  if (call.resource.table === null) return [last];
  return [last, readRecordSql(log, writeTarget(call.resource), recordSelectorOf(call))];
}

function foundOf(call: PreparedCall, results: readonly QueryResult[]): Found {
  const last = results[0]?.rows[0];
  const actual = last === undefined ? 0n : BigInt(last["position"] as bigint);
  // An event-only record lives while its last event is not a destroy; a table record while its row does.
  const live = call.resource.table === null
    ? last !== undefined && last["action_type"] !== "destroy"
    : (results[1]?.rows.length ?? 0) > 0;
  return { actual, live };
}

/**
 * The error of a batch that failed on an expected position (or of calls whose read found their
 * record elsewhere): the first call, in order, whose record is not where it expected. One read
 * round trip, on this failure path only.
 *
 * @param calls the calls of the batch, as planned (their record ids resolved)
 * @param cause the storage error the batch failed with, if it was sent
 */
export async function staleRecordError(
  config: { readonly log: EventLog; readonly db: Executor },
  calls: readonly PreparedCall[],
  cause: unknown,
): Promise<EdgeEventsError> {
  const expecting = calls.filter((c) => c.expected !== undefined);
  const statements = expecting.map((c) => probes(config.log, c));
  const results = await config.db.batch(statements.flat(), { readOnly: true });
  const options = cause === undefined ? {} : { cause };
  let at = 0;
  const found = expecting.map((call, i) => {
    const probed = results.slice(at, at + statements[i]!.length);
    at += statements[i]!.length;
    return foundOf(call, probed);
  });
  for (const [i, call] of expecting.entries()) {
    const { actual, live } = found[i]!;
    const expected = call.expected!.position;
    // A record the log knows nothing of (never written, or another tenant's) is not found.
    if (!live && actual === 0n) return new NotFoundError(call.resource.name, call.recordId, options);
    if (actual !== expected) {
      return new StaleRecordError(call.resource.name, call.recordId, { expected, actual }, options);
    }
    if (!live) return new NotFoundError(call.resource.name, call.recordId, options);
    if (call.expected!.heldRecord !== undefined) {
      return new StaleRecordError(call.resource.name, call.recordId, { expected, actual }, options);
    }
  }
  // Every record is now where its call expected it (say, a record the batch was to create):
  // the precondition failed all the same, so name the first call that carried one.
  const first = expecting[0]!;
  return new StaleRecordError(first.resource.name, first.recordId, {
    expected: first.expected!.position,
    actual: found[0]?.actual ?? 0n,
  }, options);
}
