/**
 * The event as read back from the log.
 * @module
 */
import type { JsonObject } from "./json.ts";

/** The three kinds of action; stored as the event's `action_type`. */
export type ActionType = "create" | "update" | "destroy";

/** Who performed an event: the actor type name and the id stored in its column. */
export interface EventActor {
  /** The actor type, as declared on the event log (`user`, `system`). */
  readonly type: string;
  /** The id stored in the actor's column. */
  readonly id: string;
}

/** One event of the log. */
export interface StoredEvent {
  /** The ULID of the event; also the idempotency key of the action call. */
  readonly id: string;
  /** The global position: the order of replay and readers. */
  readonly position: bigint;
  /** When it happened; equals the record timestamps the action wrote. */
  readonly occurredAt: Date;
  /** The resource name. */
  readonly resource: string;
  /** The primary key of the record, as text. */
  readonly recordId: string;
  /** The action name. */
  readonly action: string;
  /** create, update or destroy (soft destroys too). */
  readonly actionType: ActionType;
  /** The action's version when the event was written. */
  readonly version: number;
  /** The validated action input, exactly. */
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
  /**
   * The parent event (`parentEventId` of the call): an earlier event of the same record, in a
   * branching history; null for none.
   */
  readonly parentId: string | null;
  /** Who did it, when an actor was given. */
  readonly actor: EventActor | null;
}
