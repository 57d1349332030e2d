/**
 * `verifySavepoints`: fold records from their events and compare each stored savepoint with
 * the state at its position; name each one that differs, and each one retired by a fold
 * version that is not the current one.
 * @module
 */
import { FoldError } from "../core/errors.ts";
import { parseJson, rowToEvent } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import type { RecordId } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { savepointRecordEventsSql, type SavepointScope, savepointsSql } from "../sql/savepoint-statements.ts";
import {
  foldRecord,
  type FoldStart,
  type RecordFold,
  type RecordFoldEnv,
  sourceResources,
} from "../core/record-fold.ts";
import { foldVersionOf } from "../core/fold-version.ts";
import { recordIdOf, type SavepointStore, tenantOf, trackedResource } from "./record-scope.ts";
import { decodeState, differingAttributes } from "../core/savepoint-state.ts";

/** What is wrong with one savepoint. */
export interface SavepointIssue {
  /** The record. */
  readonly recordId: string;
  /** Where the savepoint stands. */
  readonly position: bigint;
  /** The fold version it records. */
  readonly foldVersion: string;
  /**
   * `differs`: its state is not the state folded from the events to its position (`attributes`
   * names the attributes); `retired`: made by another fold version, so never used; `unfoldable`:
   * the events to its position cannot be folded (`reason`), or fold to no record.
   */
  readonly problem: "differs" | "retired" | "unfoldable";
  /** The attributes that differ (`differs`). */
  readonly attributes?: readonly string[];
  /** Why the events cannot be folded (`unfoldable`). */
  readonly reason?: string;
}

/** What {@link verifySavepoints} found. */
export interface SavepointReport {
  /** The current fold version of the resource. */
  readonly foldVersion: string;
  /** Savepoints read (usable and retired). */
  readonly checked: number;
  /** Usable savepoints equal to the fold of the events. */
  readonly ok: number;
  /** Each savepoint that differs, is retired or cannot be checked, by record and position. */
  readonly issues: readonly SavepointIssue[];
}

interface SavepointRow {
  readonly recordId: string;
  readonly position: bigint;
  readonly foldVersion: string;
  readonly state: Record<string, unknown>;
}

async function checkRecord(
  env: RecordFoldEnv,
  events: readonly StoredEvent[],
  savepoints: readonly SavepointRow[],
): Promise<SavepointIssue[]> {
  const issues: SavepointIssue[] = [];
  let fold: RecordFold | undefined;
  for (const sp of savepoints) {
    const base = { recordId: sp.recordId, position: sp.position, foldVersion: sp.foldVersion };
    try {
      // Each savepoint is compared with a fold from the events, never from another savepoint.
      const from: FoldStart | undefined = fold?.position === undefined
        ? undefined
        : { state: fold.state, position: fold.position };
      fold = await foldRecord(env, events, { from, upTo: sp.position });
    } catch (error) {
      if (!(error instanceof FoldError)) throw error;
      issues.push({ ...base, problem: "unfoldable", reason: error.message });
      return issues.concat(
        savepoints.slice(savepoints.indexOf(sp) + 1).map((s) => ({
          recordId: s.recordId,
          position: s.position,
          foldVersion: s.foldVersion,
          problem: "unfoldable",
          reason: error.message,
        })),
      );
    }
    if (fold.state.record === undefined) {
      issues.push({ ...base, problem: "unfoldable", reason: "The events to its position fold to no record" });
      continue;
    }
    const attributes = differingAttributes(fold.state.record, sp.state);
    if (attributes.length > 0) issues.push({ ...base, problem: "differs", attributes });
  }
  return issues;
}

/**
 * Check savepoints against the log: fold each record from its events (never from a savepoint)
 * and compare every usable savepoint with the state at its position. Names each one that
 * differs (and which attributes), each retired one (another fold version), and each whose
 * events cannot be folded. One read (the savepoints and the events of their records, one
 * snapshot); writes nothing. Without `recordId`, every record of the resource that has a
 * savepoint (its whole history is read: run it offline on large logs).
 *
 * @param store the store (its tenant confines the read)
 * @param resource a resource the store tracks
 * @param recordId one record; omitted: every record with a savepoint
 * @returns the report
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `resource`, `recordId` or `tenant`,
 *   before anything is sent
 * @example
 * ```ts
 * import { type AnyResource, type SavepointStore, verifySavepoints } from "edge-events";
 *
 * async function check(store: SavepointStore, Account: AnyResource): Promise<void> {
 *   const report = await verifySavepoints(store, Account);
 *   for (const issue of report.issues) console.log(issue.recordId, issue.position, issue.problem);
 * }
 * ```
 */
export async function verifySavepoints(
  store: SavepointStore,
  resource: AnyResource,
  recordId?: RecordId,
): Promise<SavepointReport> {
  const definition = trackedResource(store, resource);
  const id = recordId === undefined ? undefined : recordIdOf(definition, recordId);
  const tenant = tenantOf(store, definition);
  const env = { log: store.log, resources: store.resources, keyring: store.keyring };
  const scope: SavepointScope = {
    resource: definition.name,
    sources: sourceResources(env, definition),
    recordId: id,
    tenant,
  };
  const foldVersion = await foldVersionOf(env, definition);
  const [savepointRows, eventRows] = await store.db.batch([
    savepointsSql(store.log, scope),
    savepointRecordEventsSql(store.log, scope),
  ], { readOnly: true, isolationLevel: "RepeatableRead" });
  const byRecord = new Map<string, { events: StoredEvent[]; savepoints: SavepointRow[] }>();
  const entry = (record: string) => {
    let found = byRecord.get(record);
    if (found === undefined) byRecord.set(record, found = { events: [], savepoints: [] });
    return found;
  };
  const issues: SavepointIssue[] = [];
  let checked = 0;
  for (const row of savepointRows!.rows) {
    checked++;
    const sp = {
      recordId: String(row["record_id"]),
      position: BigInt(String(row["position"])),
      foldVersion: String(row["fold_version"]),
      state: decodeState(definition, parseJson(row["state"])).state,
    };
    if (sp.foldVersion !== foldVersion) {
      issues.push({ recordId: sp.recordId, position: sp.position, foldVersion: sp.foldVersion, problem: "retired" });
    } else entry(sp.recordId).savepoints.push(sp);
  }
  for (const row of eventRows!.rows) {
    const event = rowToEvent(store.log, row);
    byRecord.get(event.recordId)?.events.push(event);
  }
  for (const [record, { events, savepoints }] of byRecord) {
    issues.push(...await checkRecord({ ...env, resource: definition, recordId: record }, events, savepoints));
  }
  const usable = checked - issues.filter((i) => i.problem === "retired").length;
  const bad = issues.filter((i) => i.problem !== "retired").length;
  issues.sort((
    a,
    b,
  ) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : a.position < b.position ? -1 : 1));
  return { foldVersion, checked, ok: usable - bad, issues };
}
