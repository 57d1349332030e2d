/**
 * The options of a paged read of one record (`history`, `timeline`): page size, direction and
 * the opaque cursor of the previous page, checked before anything is sent.
 * @module
 */
import { validationError } from "../core/validation.ts";
import type { RecordStream, StreamPage } from "../sql/history-statements.ts";
import { POSITION_MAX } from "../sql/history-statements.ts";
import { type CursorScope, decodePositionCursor, type Direction, encodePositionCursor } from "./position-cursor.ts";

/** The largest page: 1000 events. */
export const MAX_HISTORY_LIMIT = 1000;
/** The page size when none is given: 100 events. */
export const DEFAULT_HISTORY_LIMIT = 100;

/** Options of a page of one record's history or timeline. */
export interface PageOptions {
  /** The `cursor` of the previous page; omitted: from the first event (forward) or the last (backward). */
  readonly cursor?: string | null | undefined;
  /** Events per page, 1 to 1000. Default 100. */
  readonly limit?: number | undefined;
  /**
   * `forward` (default): in position order; `backward`: newest first. A cursor continues in
   * the direction it was read in; naming the other one is `VALIDATION_FAILED` (path `direction`).
   */
  readonly direction?: Direction | undefined;
}

/**
 * A page size as given, or the default.
 * @throws {ValidationError} code `VALIDATION_FAILED` (path `limit`) unless an integer from 1 to 1000
 */
export function pageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_HISTORY_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
    throw validationError(`limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`, "limit", "range");
  }
  return limit;
}

/** What a cursor of `read` over `stream` is bound to. */
export function cursorScope(table: string, read: string, stream: RecordStream): CursorScope {
  return { table, tenant: stream.tenant, read, filters: [stream.resource, stream.recordId] };
}

/**
 * The page the options ask for (`limit` rows; callers read one more to see whether more follow).
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `cursor`, `limit` or `direction`
 */
export function resolvePage(scope: CursorScope, options: PageOptions): StreamPage {
  const { cursor, direction } = options ?? {};
  if (direction !== undefined && direction !== "forward" && direction !== "backward") {
    throw validationError(`direction must be "forward" or "backward"`, "direction", "type");
  }
  const limit = pageLimit(options?.limit);
  if (cursor === undefined || cursor === null) {
    const d = direction ?? "forward";
    return { direction: d, from: d === "forward" ? 0n : POSITION_MAX, limit };
  }
  const point = decodePositionCursor(scope, cursor);
  if (direction !== undefined && direction !== point.direction) {
    throw validationError("direction differs from the direction of the cursor", "direction");
  }
  return { direction: point.direction, from: point.position, limit };
}

/** The cursor after the page's last position, or null when the page is the last one. */
export function nextCursor(
  scope: CursorScope,
  page: StreamPage,
  last: bigint | undefined,
  more: boolean,
): string | null {
  if (!more || last === undefined) return null;
  return encodePositionCursor(scope, { position: last, direction: page.direction });
}
