/**
 * The `expectedPosition` precondition of an update or destroy call, and the record held with
 * it: checked before anything is sent, and turned into the conditions its write carries.
 * @module
 */
import type { ActionDefinition } from "./action.ts";
import { isEdgeEventsError, ValidationError } from "./errors.ts";
import { jsonAttributes, toParam } from "./record-mapping.ts";
import type { AnyResource } from "./resource.ts";
import { type AnySchema, validate, validationError } from "./validation.ts";
import type { HeldValue } from "../sql/write-statements.ts";

/** The largest position a `bigint` column holds. */
const MAX_POSITION = 2n ** 63n - 1n;

/** A call's precondition: the position its record's last event must be at, and the record held there. */
export interface Expectation {
  /** The expected position; `0n`: the record has no event. */
  readonly position: bigint;
  /**
   * The caller's record, validated: set only where it replaces a read (a change-function
   * update of a resource with a table), and then compared with the row in the write.
   */
  readonly heldRecord: Readonly<Record<string, unknown>> | undefined;
}

/** What the caller passed beside its context (both optional, unchecked). */
export interface ExpectationRequest {
  readonly expectedPosition?: unknown;
  readonly record?: unknown;
}

/**
 * Check a call's precondition. Undefined when it has none.
 * @throws {ValidationError} `expectedPosition` not a bigint from 0 to 2^63 - 1 or on a create;
 * `record` without `expectedPosition`, or not a valid record of the resource (paths `record.<attribute>`)
 */
export async function prepareExpectation(
  resource: AnyResource,
  action: ActionDefinition<Record<string, unknown>, AnySchema>,
  request: ExpectationRequest,
): Promise<Expectation | undefined> {
  const { expectedPosition: position, record } = request;
  if (position === undefined) {
    if (record !== undefined) throw validationError("record is only taken with expectedPosition", "record", "missing");
    return undefined;
  }
  if (typeof position !== "bigint") {
    throw validationError("expectedPosition must be a bigint", "expectedPosition", "type");
  }
  if (position < 0n || position > MAX_POSITION) {
    throw validationError("expectedPosition must be from 0 to 2^63 - 1", "expectedPosition", "range");
  }
  if (action.type === "create") {
    throw validationError("A create has no expected position: its record has no events yet", "expectedPosition");
  }
  const reads = action.type === "update" && typeof action.options.change === "function" && resource.table !== null;
  if (record === undefined || !reads) return { position, heldRecord: undefined };
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw validationError(`record must be a record of ${resource.name}`, "record", "type");
  }
  try {
    const held = await validate(resource.attributes, record, `record of ${resource.name}`);
    return { position, heldRecord: Object.freeze({ ...(held as Record<string, unknown>) }) };
  } catch (error) {
    if (!isEdgeEventsError(error, "VALIDATION_FAILED")) throw error;
    const issues = error.issues.map((i) => ({ ...i, path: i.path === undefined ? "record" : `record.${i.path}` }));
    const first = issues[0];
    throw new ValidationError(
      `Invalid record of ${resource.name} at ${first?.path ?? "record"}: ${first?.message ?? "invalid value"}`,
      issues,
    );
  }
}

/** The position as the log's `max(position)` spells it: `0n` (no event) is NULL. */
export function positionParam(position: bigint): bigint | null {
  return position === 0n ? null : position;
}

/**
 * The values a write compares with the row, for every attribute of the resource (an attribute
 * the held record lacks must be NULL): JSON attributes as `jsonb`, `Date`s to the millisecond.
 */
export function heldValuesOf(
  resource: AnyResource,
  held: Readonly<Record<string, unknown>>,
): Readonly<Record<string, HeldValue>> {
  const json = jsonAttributes(resource);
  const values: Record<string, HeldValue> = {};
  for (const attribute of resource.attributeNames) {
    const value = held[attribute];
    const compare = json.has(attribute) ? "json" : value instanceof Date ? "milliseconds" : "value";
    values[attribute] = { value: toParam(resource, attribute, value), compare };
  }
  return Object.freeze(values);
}
