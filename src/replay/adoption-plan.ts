/**
 * What adoption writes for one row: its options checked once (the action to record, the
 * attribute function, the transfer callback, re-keying), then per row the record the event
 * pins in `changes` and, when the row changes, the row as replay would write it from that event.
 * @module
 */
import type { ActionDefinition } from "../core/action.ts";
import { validateSet } from "../core/action-attributes.ts";
import type { Row } from "../core/executor.ts";
import { type JsonObject, jsonText } from "../core/json.ts";
import { rowToRecord } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import { EventEffectError } from "../core/replay-routes.ts";
import { eventEffect } from "../core/event-effect.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { type AnySchema, validate, validationError } from "../core/validation.ts";
import { newPrimaryKey } from "../core/prepare-call.ts";
import { ROW_JSON_ALIAS } from "../sql/adopt-statements.ts";
import { RECORD_ID_ALIAS } from "../sql/write-statements.ts";
import { effectWrite } from "./apply-event.ts";
import { replayWriteRow } from "./fold-page.ts";

type AnyAction = ActionDefinition<Record<string, unknown>, AnySchema>;

/** The adoption options {@link adoptionPlan} checks (see `AdoptOptions`). */
export interface AdoptionOptions {
  readonly action?: string | undefined;
  readonly attributes?: ((row: never) => unknown) | undefined;
  readonly transfer?: ((row: never, adopted: never) => unknown) | undefined;
  readonly rekey?: boolean | undefined;
}

/** The checked options: the action recorded and its version, and what changes rows. */
export interface AdoptionPlan {
  readonly resource: AnyResource;
  readonly action: string;
  readonly version: number;
  readonly target: AnyAction | undefined;
  readonly attributes: ((row: Record<string, unknown>) => unknown) | undefined;
  readonly transfer: ((row: Record<string, unknown>, adopted: Record<string, unknown>) => unknown) | undefined;
  readonly rekey: boolean;
}

/**
 * Check the options of an adoption before anything is read or written.
 * @throws {ValidationError} naming the option (`action`, `attributes`, `transfer`, `rekey`)
 */
export async function adoptionPlan(resource: AnyResource, options: AdoptionOptions): Promise<AdoptionPlan> {
  const { action = "adopt", attributes, transfer, rekey = false } = options;
  if (typeof action !== "string" || action.length === 0) {
    throw validationError("action must be the name of a create action of the resource", "action");
  }
  let target: AnyAction | undefined;
  if (action !== "adopt") {
    target = Object.hasOwn(resource.actions, action)
      ? (resource.actions as Record<string, AnyAction>)[action]
      : undefined;
    if (target === undefined || target.type !== "create") {
      throw validationError(`${resource.name} has no create action "${action}" to record adoptions with`, "action");
    }
    if (!resource.isTracked(action)) {
      throw validationError(`${resource.name}.${action} is ignored (it writes no events)`, "action");
    }
    // Replay applies an adoption through this action with its empty data and the row in `changes`.
    try {
      await validate(target.input, {}, "adoption input");
    } catch {
      throw validationError(`${resource.name}.${action} must accept an empty input to record adoptions`, "action");
    }
  }
  if (attributes !== undefined && typeof attributes !== "function") {
    throw validationError("attributes must be a function", "attributes");
  }
  if (transfer !== undefined && typeof transfer !== "function") {
    throw validationError("transfer must be a function", "transfer");
  }
  if (typeof rekey !== "boolean") throw validationError("rekey must be a boolean", "rekey");
  if (rekey && resource.primaryKey.generate === "none") {
    throw validationError(`${resource.name} generates no primary keys (generate: "none"): it cannot re-key`, "rekey");
  }
  return {
    resource,
    action,
    version: target?.version ?? 1,
    target,
    attributes: attributes as AdoptionPlan["attributes"],
    transfer: transfer as AdoptionPlan["transfer"],
    rekey,
  };
}

/** One row's adoption: its event's values and, when the row changes, the row to write. */
export interface RowAdoption {
  /** The row as it was (its attributes). */
  readonly old: Record<string, unknown>;
  /** The old key as text. */
  readonly oldId: string;
  /** The record adopted (the attribute function applied, the new key when re-keyed). */
  readonly record: Record<string, unknown>;
  readonly recordId: string;
  /** `changes` as JSON text. */
  readonly changes: string;
  /** The row to write, keyed by column, as replay writes it from the event; undefined: the row stays. */
  readonly row: JsonObject | undefined;
}

/** The exact text of each timestamp the row holds (a Date would cut microseconds). */
function exactTexts(row: Row): Record<string, unknown> | null {
  const json = row[ROW_JSON_ALIAS];
  return (typeof json === "string" ? JSON.parse(json) : json) as Record<string, unknown> | null;
}

/** The values of an attribute function's result, checked: known attributes, key and tenant kept. */
async function changedValues(plan: AdoptionPlan, old: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { resource } = plan;
  const out = await plan.attributes!({ ...old });
  if (typeof out !== "object" || out === null || Array.isArray(out)) {
    throw validationError("attributes must return an object of attribute values", "attributes");
  }
  const values: Record<string, unknown> = {};
  const nulls: Record<string, null> = {};
  for (const [key, value] of Object.entries(out)) {
    if (value === undefined) continue;
    if ((key === resource.primaryKey.attribute || key === resource.tenant) && String(value) !== String(old[key])) {
      throw validationError(`attributes must not change ${key} (re-key with rekey: true)`, key);
    }
    // A null clears the column, kept past validation as replay keeps a recorded null.
    if (value === null) nulls[key] = null;
    else values[key] = value;
  }
  const valid = await validateSet(resource, values, `attributes of an adopted ${resource.name}`);
  for (const key of Object.keys(nulls)) {
    if (!resource.attributeNames.includes(key)) {
      throw validationError(`attributes of an adopted ${resource.name} sets an unknown attribute`, key);
    }
  }
  return { ...valid, ...nulls };
}

/**
 * The adoption of one row: the attribute function applied, re-keyed when asked, the record
 * pinned in `changes` (timestamps as the row's exact text), and the row as replay would
 * write it from the event when it differs from the stored one.
 * @throws {ValidationError} naming the attribute when the function's values are invalid
 */
export async function adoptRow(
  plan: AdoptionPlan,
  row: Row,
  event: Omit<StoredEvent, "changes">,
): Promise<RowAdoption> {
  const { resource } = plan;
  const old = rowToRecord(resource, row);
  const oldId = String(row[RECORD_ID_ALIAS]);
  const changed = plan.attributes === undefined ? {} : await changedValues(plan, old);
  const record: Record<string, unknown> = { ...old, ...changed };
  const pinned: Record<string, unknown> = { ...record };
  const exact = exactTexts(row);
  for (const [attribute, value] of Object.entries(old)) {
    const text = exact?.[resource.columns[attribute]!];
    if (attribute in changed || !(value instanceof Date)) continue;
    if (typeof text === "string" && Date.parse(text) === value.getTime()) pinned[attribute] = text;
  }
  const recordId = plan.rekey ? newPrimaryKey(resource) : oldId;
  if (plan.rekey) record[resource.primaryKey.attribute] = pinned[resource.primaryKey.attribute] = recordId;
  const changes = jsonText(pinned);
  if (plan.attributes === undefined && !plan.rekey) return { old, oldId, record, recordId, changes, row: undefined };
  // The row as replay writes it from this very event, so the live table equals a replayed one.
  const stored: StoredEvent = { ...event, recordId, changes: JSON.parse(changes) as JsonObject };
  try {
    const effect = await eventEffect(
      { resource, actionName: plan.action, action: plan.target },
      stored,
      false,
    );
    return { old, oldId, record, recordId, changes, row: replayWriteRow(effectWrite(effect, stored)) };
  } catch (error) {
    if (!(error instanceof EventEffectError)) throw error;
    throw validationError(`An adopted ${resource.name} would not replay: ${error.message}`, "attributes");
  }
}
