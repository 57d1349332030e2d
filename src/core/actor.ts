/**
 * Resolving the actor of a call against the actor types the event log declares.
 * @module
 */
import type { ActorId } from "./context.ts";
import type { EventLog } from "./event-log.ts";
import { canonicalUuid } from "./canonical-id.ts";
import { isUuid } from "./ids.ts";
import { checkText } from "./well-formed-text.ts";
import { validationError } from "./validation.ts";

/** The actor of one call, resolved to its event-log column. */
export interface ResolvedActor {
  /** The actor type name. */
  readonly type: string;
  /** The event-log column. */
  readonly column: string;
  /** The column's Postgres type. */
  readonly columnType: string;
  /** The id as text (bound with a cast to the column type). */
  readonly id: string;
}

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

function integerText(id: ActorId, [min, max]: readonly [bigint, bigint]): string | undefined {
  const text = typeof id === "string"
    ? id
    : typeof id === "number" && Number.isInteger(id)
    ? String(id)
    : typeof id === "bigint"
    ? String(id)
    : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n >= min && n <= max ? n.toString() : undefined;
}

/**
 * Resolve `ctx.actor`: at most one declared actor type, with an id of the column's type.
 *
 * @returns null for an anonymous call
 * @throws {ValidationError} code `VALIDATION_FAILED` for an undeclared actor type, several
 *   actors, an id that does not fit the column, or text with NUL or a lone surrogate
 */
export function resolveActor(
  log: EventLog,
  actor: { readonly [type: string]: ActorId | undefined } | undefined,
): ResolvedActor | null {
  const entries = Object.entries(actor ?? {}).filter((entry): entry is [string, ActorId] =>
    entry[1] !== undefined && entry[1] !== null
  );
  if (entries.length === 0) return null;
  if (entries.length > 1) throw validationError("An action records at most one actor", "actor");
  const [type, id] = entries[0]!;
  const definition = log.actors[type];
  if (definition === undefined) throw validationError(`Unknown actor type "${type}"`, `actor.${type}`);
  let text: string | undefined;
  switch (definition.type) {
    case "uuid":
      text = isUuid(id) ? canonicalUuid(id) : undefined;
      break;
    case "text":
      if (typeof id === "string") checkText(id, `actor.${type}`);
      text = typeof id === "string" && id.length > 0 ? id : undefined;
      break;
    case "integer":
      text = integerText(id, INT32);
      break;
    case "bigint":
      text = integerText(id, INT64);
      break;
  }
  if (text === undefined) {
    throw validationError(`The id of actor type "${type}" must be a ${definition.type}`, `actor.${type}`);
  }
  return Object.freeze({ type, column: definition.column, columnType: definition.type, id: text });
}
