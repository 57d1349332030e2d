/**
 * The check of a replay's scope (`untilEventId`, `untilTime`, `tenant`) before anything is sent:
 * a bad value is `VALIDATION_FAILED` naming the option, never a database error.
 * @module
 */
import { canonicalTenant } from "../core/canonical-id.ts";
import { isUlid } from "../core/ids.ts";
import { checkStorableDate } from "../core/json.ts";
import { validationError } from "../core/validation.ts";
import type { ReplayScope } from "./replay-types.ts";

/**
 * Check a replay scope as a caller gave it.
 *
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `untilEventId` (not a ULID),
 *   `untilTime` (not a valid Date Postgres can store) or `tenant` (not text, a number or a
 *   bigint, or text with NUL or a lone surrogate)
 */
export function checkReplayScope(scope: ReplayScope): void {
  const { untilEventId, untilTime, tenant } = scope;
  if (untilEventId !== undefined && !isUlid(untilEventId)) {
    throw validationError("untilEventId must be an event id (a ULID)", "untilEventId");
  }
  if (untilTime !== undefined) {
    if (!(untilTime instanceof Date)) throw validationError("untilTime must be a Date", "untilTime", "type");
    checkStorableDate(untilTime, "untilTime");
  }
  if (tenant !== undefined) {
    if (!["string", "number", "bigint"].includes(typeof tenant) || tenant === "") {
      throw validationError("tenant must be non-empty text, a number or a bigint", "tenant", "type");
    }
    canonicalTenant(tenant);
  }
}
