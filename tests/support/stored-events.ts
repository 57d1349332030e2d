// Stored events made in memory for the pure tests of the event effect and the record fold.
import type { JsonObject } from "../../src/core/json.ts";
import type { StoredEvent } from "../../src/core/stored-event.ts";

/** What a test gives of an event: its action, and whatever differs from the defaults below. */
export type EventFields = Partial<StoredEvent> & { action: string; data?: JsonObject };

/** An update of account a1 at `position` (its id derived from the position), with `fields` over it. */
export function storedEvent(position: bigint, fields: EventFields): StoredEvent {
  return {
    id: `01J00000000000000000000${String(position).padStart(3, "0")}`,
    position,
    occurredAt: new Date("2026-11-01T00:00:00Z"),
    resource: "account",
    recordId: "a1",
    actionType: "update",
    version: 1,
    data: {},
    changes: {},
    metadata: {},
    tenant: null,
    correlationId: "c",
    causationId: null,
    parentId: null,
    actor: null,
    ...fields,
  };
}
