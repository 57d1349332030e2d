/**
 * A point of a record's history as callers name it (a time, an event id or a position),
 * checked before anything is sent.
 * @module
 */
import { isUlid } from "../core/ids.ts";
import { checkStorableDate } from "../core/json.ts";
import { validationError } from "../core/validation.ts";
import { type FoldBound, POSITION_MAX } from "../sql/history-statements.ts";

/**
 * A point of the log: a time (the record's last event at or before it), an event (of the
 * store's tenant, any record: the record as it was when that event was written), or a
 * position.
 */
export type HistoryPoint =
  | { readonly at: Date }
  | { readonly eventId: string }
  | { readonly position: bigint };

/**
 * The bound a point stands for.
 * @param path the parameter (`from`, `to`); omitted: the point's own keys are the paths
 * @throws {ValidationError} code `VALIDATION_FAILED` naming the point (`point`, or `path`: not
 *   exactly one of `at`, `eventId`, `position`), `at` (not a Date Postgres can store),
 *   `eventId` (not a ULID) or `position` (not a bigint from 0 to 2^63-1), under `path` if given
 */
export function pointBound(point: HistoryPoint, path?: string): FoldBound {
  const at = (key: string): string => path === undefined ? key : `${path}.${key}`;
  const keys = typeof point === "object" && point !== null ? Object.keys(point) : [];
  if (keys.length !== 1 || !["at", "eventId", "position"].includes(keys[0]!)) {
    const name = path ?? "point";
    throw validationError(`${name} must have exactly one of at, eventId, position`, name, "type");
  }
  if ("at" in point) {
    if (!(point.at instanceof Date)) throw validationError(`${at("at")} must be a Date`, at("at"), "type");
    checkStorableDate(point.at, at("at"));
    return { kind: "time", at: point.at };
  }
  if ("eventId" in point) {
    if (!isUlid(point.eventId)) throw validationError(`${at("eventId")} must be an event id (a ULID)`, at("eventId"));
    return { kind: "event", eventId: point.eventId };
  }
  const { position } = point;
  if (typeof position !== "bigint" || position < 0n || position > POSITION_MAX) {
    throw validationError(`${at("position")} must be a bigint from 0 to 2^63-1`, at("position"), "range");
  }
  return { kind: "position", position };
}
