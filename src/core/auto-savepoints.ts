/**
 * Automatic savepoints (`savepointEvery`): the count each write batch carries for every record
 * of such a resource that it writes, and the savepoints taken after the batch committed for
 * the records whose count reached the resource's `savepointEvery`.
 * @module
 */
import type { Keyring } from "./keyring.ts";
import type { EventLog } from "./event-log.ts";
import type { Executor, QueryResult, SqlStatement } from "./executor.ts";
import { isEdgeEventsError } from "./errors.ts";
import type { AnyResource } from "./resource.ts";
import type { PreparedCall } from "./prepare-call.ts";
import type { BuiltWrite } from "./write-plan.ts";
import type { StoredEvent } from "./stored-event.ts";
import { foldVersionOf } from "./fold-version.ts";
import { sourceResources } from "./record-fold.ts";
import { takeSavepoint } from "./take-savepoint.ts";
import { SAVEPOINT_DUE_ALIAS, savepointDueSql } from "../sql/savepoint-statements.ts";

/** Where a failed automatic savepoint is reported: the record it was for. */
export interface SavepointFailure {
  /** The resource's name. */
  readonly resource: string;
  /** The record id, as its events store it. */
  readonly recordId: string;
}

/**
 * Called with the error of an automatic savepoint that failed (the action was committed): the
 * store's `onSavepointError`.
 *
 * @example
 * ```ts
 * import type { SavepointErrorHandler } from "edge-events";
 *
 * const onSavepointError: SavepointErrorHandler = (error, { resource, recordId }) => {
 *   console.warn(`savepoint of ${resource} ${recordId} failed`, error);
 * };
 * ```
 */
export type SavepointErrorHandler = (error: unknown, record: SavepointFailure) => void;

/** What automatic savepoints need from the store. */
export interface AutoSavepointEnv {
  readonly log: EventLog;
  readonly db: Executor;
  readonly resources: ReadonlyMap<string, AnyResource>;
  readonly keyring: Keyring | undefined;
  readonly onSavepointError: SavepointErrorHandler | undefined;
}

/** One record a batch counts: the call (by index) that wrote its last event in the batch. */
export interface SavepointCheck {
  readonly call: number;
  readonly resource: AnyResource;
  readonly every: number;
}

/**
 * One count statement per record of a `savepointEvery` resource that the batch writes (the
 * last call of each record), none for ignored actions (no event) and for records the batch
 * destroys (a destroyed record has no state to save).
 */
export async function savepointChecks(
  env: AutoSavepointEnv,
  calls: readonly PreparedCall[],
  built: readonly BuiltWrite[],
): Promise<{ statements: SqlStatement[]; checks: SavepointCheck[] }> {
  const last = new Map<string, number>();
  calls.forEach((call, i) => {
    const write = built[i]!;
    if (call.resource.savepointEvery === undefined || write.event === null) return;
    const key = write.primaryKey === null ? `event\0${write.event.id}` : `${call.resource.name}\0${write.primaryKey}`;
    last.delete(key); // keep batch order by each record's last call
    last.set(key, i);
  });
  const checks: SavepointCheck[] = [];
  const statements: SqlStatement[] = [];
  for (const i of last.values()) {
    const resource = calls[i]!.resource;
    if (calls[i]!.action.type === "destroy") continue;
    const every = resource.savepointEvery!;
    const version = await foldVersionOf(env, resource);
    const sources = sourceResources(env, resource);
    statements.push(
      savepointDueSql(env.log, { resource: resource.name, sources, eventId: built[i]!.event!.id }, version, every),
    );
    checks.push({ call: i, resource, every });
  }
  return { statements, checks };
}

/**
 * Take the savepoints that the batch's counts (`counts`, one result per check) call for, one
 * record after the other. Never throws: a record destroyed meanwhile has nothing to save, any
 * other failure goes to `onSavepointError` (whose own errors are ignored).
 */
export async function takeDueSavepoints(
  env: AutoSavepointEnv,
  checks: readonly SavepointCheck[],
  counts: readonly QueryResult[],
  events: readonly (StoredEvent | null)[],
): Promise<void> {
  for (const [i, check] of checks.entries()) {
    const count = Number(counts[i]?.rows[0]?.[SAVEPOINT_DUE_ALIAS] ?? 0);
    const event = events[check.call];
    if (count < check.every || event === null || event === undefined) continue;
    const { resource } = check;
    const recordId = event.recordId;
    try {
      await takeSavepoint(env, {
        fold: { log: env.log, resources: env.resources, keyring: env.keyring, resource, recordId },
        filter: {
          resource: resource.name,
          sources: sourceResources(env, resource),
          recordId,
          tenant: resource.tenant === undefined ? null : event.tenant,
        },
      });
    } catch (error) {
      if (isEdgeEventsError(error, "RECORD_DESTROYED") || isEdgeEventsError(error, "NOT_FOUND")) continue;
      try {
        env.onSavepointError?.(error, { resource: resource.name, recordId });
      } catch {
        // The action was committed and its result is ready: a failing report must not change that.
      }
    }
  }
}
