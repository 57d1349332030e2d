/**
 * One event as `tail` and `history` print it: a line for people, or a JSON line.
 * @module
 */
import type { StoredEvent } from "../core/stored-event.ts";
import { eventToJson } from "../core/wire.ts";

/**
 * One line for people: position, time, resource/record, action with its version and type,
 * actor and tenant when there are, then the input and the values the action wrote besides it.
 *
 * @param event the event
 * @returns e.g. `#42 2025-01-31T12:00:00.000Z item/7 rename v1 (update) by user:u1 {"name":"x"}`
 * @example
 * ```ts
 * import type { StoredEvent } from "edge-events";
 *
 * function show(events: readonly StoredEvent[]): string[] {
 *   return events.map(eventLine);
 * }
 * ```
 */
export function eventLine(event: StoredEvent): string {
  const parts = [
    `#${event.position}`,
    event.occurredAt.toISOString(),
    `${event.resource}/${event.recordId}`,
    `${event.action} v${event.version} (${event.actionType})`,
  ];
  if (event.actor !== null) parts.push(`by ${event.actor.type}:${event.actor.id}`);
  if (event.tenant !== null) parts.push(`tenant ${event.tenant}`);
  parts.push(JSON.stringify(event.data));
  if (Object.keys(event.changes).length > 0) parts.push(`changes ${JSON.stringify(event.changes)}`);
  return parts.join(" ");
}

/**
 * One JSON line: the event as `eventToJson` gives it (positions as strings, ISO times).
 *
 * @param event the event
 * @returns the JSON text, on one line
 * @example
 * ```ts
 * import type { StoredEvent } from "edge-events";
 *
 * const lines = (events: readonly StoredEvent[]): string => events.map(eventJsonLine).join("\n");
 * ```
 */
export function eventJsonLine(event: StoredEvent): string {
  return JSON.stringify(eventToJson(event));
}
