/**
 * How events, positions, feed cursors and dates cross JSON (an HTTP API, a queue, a log line),
 * defined once:
 *
 * - positions (`bigint`) are decimal strings (`"9007199254740993"`): exact past 2^53, which a
 *   JSON number is not;
 * - dates are ISO-8601 strings in UTC with milliseconds (`Date.prototype.toISOString`,
 *   `"2024-03-01T09:00:00.000Z"`); on the way in, any offset and up to nine fraction digits
 *   are accepted as long as nothing below the millisecond is lost;
 * - the feed cursor is the opaque string `readFeed` returned, passed through unchanged;
 * - absent values are `null`, never left out.
 *
 * `JSON.stringify` of a `*ToJson` result and `JSON.parse` back into the matching `*FromJson`
 * gives the value back exactly. Bad input is a {@link ValidationError} naming the field path.
 * @module
 */
import type { ActionType } from "./action.ts";
import { ValidationError, type ValidationIssue } from "./errors.ts";
import type { JsonObject } from "./json.ts";
import type { FeedPage } from "./store-types.ts";
import type { EventActor, StoredEvent } from "./stored-event.ts";

/** A position as it crosses JSON: its decimal digits. */
export type PositionJson = string;

/** A date as it crosses JSON: ISO-8601 in UTC with milliseconds. */
export type DateJson = string;

/** A {@link StoredEvent} as it crosses JSON (see the module docs for each conversion). */
export interface StoredEventJson {
  /** The ULID of the event. */
  readonly id: string;
  /** The global position, as decimal digits. */
  readonly position: PositionJson;
  /** When it happened. */
  readonly occurredAt: DateJson;
  /** The resource name. */
  readonly resource: string;
  /** The primary key of the record, as text. */
  readonly recordId: string;
  /** The action name. */
  readonly action: string;
  /** create, update or destroy. */
  readonly actionType: ActionType;
  /** The action's version when the event was written. */
  readonly version: number;
  /** The validated action input. */
  readonly data: JsonObject;
  /** Attribute values the action wrote that did not come from the input. */
  readonly changes: JsonObject;
  /** Caller-supplied metadata. */
  readonly metadata: JsonObject;
  /** The tenant, for multi-tenant resources. */
  readonly tenant: string | null;
  /** Shared by the events of one request. */
  readonly correlationId: string;
  /** The event whose `after` hook caused this one. */
  readonly causationId: string | null;
  /** The parent event, in a branching history (`parentEventId` of the call). */
  readonly parentId: string | null;
  /** Who did it, when an actor was given. */
  readonly actor: EventActor | null;
}

/** A `FeedPage` as it crosses JSON: the cursor stays the opaque string it is. */
export interface FeedPageJson {
  /** The events of the page, in position order. */
  readonly events: readonly StoredEventJson[];
  /** Where the next page starts: pass it back as `after`. */
  readonly cursor: string;
}

const POSITION_MAX = (1n << 63n) - 1n;
const POSITION = /^(0|[1-9][0-9]{0,18})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const ACTION_TYPES: readonly string[] = ["create", "update", "destroy"];

/**
 * A position as JSON: its decimal digits.
 *
 * @param position a log position (0 to 2^63 - 1)
 * @returns the decimal string
 * @throws {RangeError} a negative position or one beyond 2^63 - 1
 * @example
 * ```ts
 * positionToJson(9007199254740993n) // => "9007199254740993"
 * ```
 */
export function positionToJson(position: bigint): PositionJson {
  if (typeof position !== "bigint" || position < 0n || position > POSITION_MAX) {
    throw new RangeError("A position is a bigint from 0 to 2^63 - 1");
  }
  return position.toString();
}

/**
 * A position from JSON: canonical decimal digits (no sign, no leading zeros, no exponent).
 *
 * @param value the JSON value
 * @param path its field path, for the issue
 * @returns the position
 * @throws {ValidationError} code `VALIDATION_FAILED` for anything else (numbers included: they lose digits past 2^53)
 * @example
 * ```ts
 * positionFromJson("9007199254740993") // => 9007199254740993n
 * ```
 */
export function positionFromJson(value: unknown, path = "position"): bigint {
  const issues: ValidationIssue[] = [];
  const position = readPosition(value, path, issues);
  if (position === undefined) throw new ValidationError("Invalid position", issues);
  return position;
}

/**
 * A date as JSON: ISO-8601 in UTC with milliseconds.
 *
 * @param date a valid Date
 * @returns its `toISOString()`
 * @throws {RangeError} an invalid Date
 * @example
 * ```ts
 * dateToJson(new Date(0)) // => "1970-01-01T00:00:00.000Z"
 * ```
 */
export function dateToJson(date: Date): DateJson {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError("Expected a valid Date");
  return date.toISOString();
}

/**
 * A date from JSON: ISO-8601 with a time and an offset (`Z` or `±hh:mm`) and at most nine
 * fraction digits, of which those below the millisecond must be zero (a Date holds no more).
 *
 * @param value the JSON value
 * @param path its field path, for the issue
 * @returns the Date
 * @throws {ValidationError} code `VALIDATION_FAILED` for anything else
 * @example
 * ```ts
 * dateFromJson("2024-03-01T10:00:00.123+01:00").toISOString() // => "2024-03-01T09:00:00.123Z"
 * ```
 */
export function dateFromJson(value: unknown, path = "date"): Date {
  const issues: ValidationIssue[] = [];
  const date = readDate(value, path, issues);
  if (date === undefined) throw new ValidationError("Invalid date", issues);
  return date;
}

/**
 * An event as JSON (see the module docs).
 *
 * @param event an event as `readEvents` or `readFeed` returned it
 * @returns a JSON-safe copy: `JSON.stringify` it as it is
 * @example
 * ```ts
 * import { type EventStore, eventToJson } from "edge-events";
 *
 * async function firstEventBody(store: EventStore): Promise<string | undefined> {
 *   const [event] = await store.readEvents({ limit: 1 });
 *   return event === undefined ? undefined : JSON.stringify(eventToJson(event));
 * }
 * ```
 */
export function eventToJson(event: StoredEvent): StoredEventJson {
  return {
    id: event.id,
    position: positionToJson(event.position),
    occurredAt: dateToJson(event.occurredAt),
    resource: event.resource,
    recordId: event.recordId,
    action: event.action,
    actionType: event.actionType,
    version: event.version,
    data: event.data,
    changes: event.changes,
    metadata: event.metadata,
    tenant: event.tenant,
    correlationId: event.correlationId,
    causationId: event.causationId,
    parentId: event.parentId,
    actor: event.actor === null ? null : { type: event.actor.type, id: event.actor.id },
  };
}

/**
 * An event from its JSON (as {@link eventToJson} made it, after `JSON.parse`).
 *
 * @param json the parsed JSON
 * @param path the field path of the event, for issues (`events.3`); none for a root
 * @returns the event, equal to the one that was sent
 * @throws {ValidationError} code `VALIDATION_FAILED` naming every field that is missing or malformed
 * @example
 * ```ts
 * import { eventFromJson } from "edge-events";
 *
 * async function receive(request: Request): Promise<Response> {
 *   const event = eventFromJson(await request.json()); // ValidationError naming each bad field
 *   console.log(event.position); // a bigint again
 *   return new Response(null, { status: 204 });
 * }
 * ```
 */
export function eventFromJson(json: unknown, path?: string): StoredEvent {
  const issues: ValidationIssue[] = [];
  const event = readEvent(json, path, issues);
  if (event === undefined) throw new ValidationError("Invalid event", issues);
  return event;
}

/**
 * A feed page as JSON: its events as {@link eventToJson} makes them, the cursor as it is.
 *
 * @param page a page from `readFeed`
 * @returns the JSON-safe page
 * @example
 * ```ts
 * import { type EventStore, feedPageToJson } from "edge-events";
 *
 * async function feed(store: EventStore, request: Request): Promise<Response> {
 *   const after = new URL(request.url).searchParams.get("after");
 *   return Response.json(feedPageToJson(await store.readFeed(after === null ? {} : { after })));
 * }
 * ```
 */
export function feedPageToJson(page: FeedPage): FeedPageJson {
  return { events: page.events.map(eventToJson), cursor: page.cursor };
}

/**
 * A feed page from its JSON. The cursor is only checked to be a string here; `readFeed`
 * checks it when it comes back.
 *
 * @param json the parsed JSON
 * @returns the page
 * @throws {ValidationError} code `VALIDATION_FAILED` naming every malformed field
 * @example
 * ```ts
 * import { feedPageFromJson, type FeedPage } from "edge-events";
 *
 * async function fetchPage(url: string): Promise<FeedPage> {
 *   const response = await fetch(url);
 *   return feedPageFromJson(await response.json());
 * }
 * ```
 */
export function feedPageFromJson(json: unknown): FeedPage {
  const issues: ValidationIssue[] = [];
  const fields = readObject(json, undefined, issues);
  if (fields === undefined) throw new ValidationError("Invalid feed page", issues);
  const events: StoredEvent[] = [];
  if (!Array.isArray(fields["events"])) issues.push(issue("events", "Expected an array", "type"));
  else {fields["events"].forEach((item: unknown, i: number) => {
      const event = readEvent(item, `events.${i}`, issues);
      if (event !== undefined) events.push(event);
    });}
  const cursor = readString(fields["cursor"], "cursor", issues);
  if (issues.length > 0 || cursor === undefined) throw new ValidationError("Invalid feed page", issues);
  return { events, cursor };
}

function issue(path: string | undefined, message: string, kind: string): ValidationIssue {
  return { path, message, kind };
}

function at(path: string | undefined, key: string): string {
  return path === undefined ? key : `${path}.${key}`;
}

function readObject(
  value: unknown,
  path: string | undefined,
  issues: ValidationIssue[],
): Record<string, unknown> | undefined {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  issues.push(issue(path, "Expected an object", "type"));
  return undefined;
}

function readString(value: unknown, path: string, issues: ValidationIssue[]): string | undefined {
  if (typeof value === "string") return value;
  issues.push(issue(path, "Expected a string", "type"));
  return undefined;
}

function readNullableString(value: unknown, path: string, issues: ValidationIssue[]): string | null | undefined {
  return value === null ? null : readString(value, path, issues);
}

/** One position or date field; a malformed one adds its issue to `issues`. */
function readPosition(value: unknown, path: string, issues: ValidationIssue[]): bigint | undefined {
  if (typeof value === "string" && POSITION.test(value)) {
    const position = BigInt(value);
    if (position <= POSITION_MAX) return position;
  }
  issues.push(issue(path, "Expected a position: decimal digits from 0 to 2^63 - 1, as a string", "position"));
  return undefined;
}

/** One position or date field; a malformed one adds its issue to `issues`. */
function readDate(value: unknown, path: string, issues: ValidationIssue[]): Date | undefined {
  const match = typeof value === "string" ? ISO_DATE.exec(value) : null;
  if (match !== null) {
    const [, year, month, day, hour, minute, second, fraction = "", offset] = match;
    const date = new Date(
      `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, "0").slice(0, 3)}${offset}`,
    );
    const sameFields = Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 &&
      Number(day) <= daysIn(Number(year), Number(month)) &&
      Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 59;
    if (sameFields && !Number.isNaN(date.getTime()) && /^0*$/.test(fraction.slice(3))) return date;
  }
  issues.push(issue(path, "Expected an ISO-8601 date with time and offset, exact to the millisecond", "date"));
  return undefined;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function readJsonObject(value: unknown, path: string, issues: ValidationIssue[]): JsonObject | undefined {
  return readObject(value, path, issues) as JsonObject | undefined;
}

function readEvent(json: unknown, path: string | undefined, issues: ValidationIssue[]): StoredEvent | undefined {
  const fields = readObject(json, path, issues);
  if (fields === undefined) return undefined;
  const before = issues.length;
  const f = (key: string): [unknown, string] => [fields[key], at(path, key)];
  const id = readString(...f("id"), issues);
  const position = readPosition(...f("position"), issues);
  const occurredAt = readDate(...f("occurredAt"), issues);
  const resource = readString(...f("resource"), issues);
  const recordId = readString(...f("recordId"), issues);
  const action = readString(...f("action"), issues);
  const actionType = fields["actionType"];
  if (typeof actionType !== "string" || !ACTION_TYPES.includes(actionType)) {
    issues.push(issue(at(path, "actionType"), "Expected create, update or destroy", "type"));
  }
  const version = fields["version"];
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    issues.push(issue(at(path, "version"), "Expected a positive integer", "type"));
  }
  const data = readJsonObject(...f("data"), issues);
  const changes = readJsonObject(...f("changes"), issues);
  const metadata = readJsonObject(...f("metadata"), issues);
  const tenant = readNullableString(...f("tenant"), issues);
  const correlationId = readString(...f("correlationId"), issues);
  const causationId = readNullableString(...f("causationId"), issues);
  // Absent in the JSON of versions before links: no parent.
  const parentId = fields["parentId"] === undefined ? null : readNullableString(...f("parentId"), issues);
  let actor: EventActor | null | undefined = null;
  if (fields["actor"] !== null) {
    const actorFields = readObject(...f("actor"), issues);
    const type = actorFields === undefined
      ? undefined
      : readString(actorFields["type"], at(at(path, "actor"), "type"), issues);
    const actorId = actorFields === undefined
      ? undefined
      : readString(actorFields["id"], at(at(path, "actor"), "id"), issues);
    actor = type === undefined || actorId === undefined ? undefined : { type, id: actorId };
  }
  if (issues.length > before) return undefined;
  return {
    id: id!,
    position: position!,
    occurredAt: occurredAt!,
    resource: resource!,
    recordId: recordId!,
    action: action!,
    actionType: actionType as ActionType,
    version: version as number,
    data: data!,
    changes: changes!,
    metadata: metadata!,
    tenant: tenant!,
    correlationId: correlationId!,
    causationId: causationId!,
    parentId: parentId!,
    actor: actor!,
  };
}
