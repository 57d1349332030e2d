/**
 * Routing a stored event to the actions that apply it: by the log's `replayOverrides` for its
 * version, else by its own action's name or alias, else adoption. Replay and history route
 * through here; `createEventStore` checks the routes here without loading the replay engine.
 * @module
 */
import type { ActionDefinition } from "./action.ts";
import type { AnyResource } from "./resource.ts";
import type { EventLog } from "./event-log.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { AnySchema } from "./validation.ts";

type AnyAction = ActionDefinition<Record<string, unknown>, AnySchema>;

/** The action of `resource` named `name`, or whose alias `name` is. */
export function findAction(resource: AnyResource, name: string): AnyAction | undefined {
  const actions = resource.actions as Record<string, AnyAction>;
  return actions[name] ?? actions[resource.aliases[name] ?? ""];
}

/**
 * Check at store creation that every replay route names existing resources and actions.
 * An event-only resource (`table: false`) is read by folding its own events, so it may be the
 * target only of routes of its own events.
 * @throws {TypeError} for a route to an unknown resource or action, or to an event-only
 *   resource from another resource
 */
export function checkReplayRoutes(log: EventLog, resources: ReadonlyMap<string, AnyResource>): void {
  for (const override of log.replayOverrides) {
    for (const [resourceName, actionName] of override.routeTo) {
      const resource = resources.get(resourceName);
      if (resource === undefined || findAction(resource, actionName) === undefined) {
        throw new TypeError(
          `Replay route of ${override.resource}.${override.action} names an unknown target ${resourceName}.${actionName}`,
        );
      }
      if (resource.table === null && resourceName !== override.resource) {
        throw new TypeError(
          `Replay route of ${override.resource}.${override.action} targets ${resourceName}, which has no table (table: false): its state is folded from its own events only`,
        );
      }
    }
  }
}

/** Where an event is applied: a resource and one of its actions. */
export interface EventTarget {
  readonly resource: AnyResource;
  /** The action name, or `adopt` for adoption events. */
  readonly actionName: string;
  /** The action; undefined for adoption events (a create of every attribute in `changes`). */
  readonly action: AnyAction | undefined;
}

/** Why an event cannot be applied: no route, no action, or data its action refuses. */
export class EventEffectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EventEffectError";
  }
}

/**
 * The targets of an event: its `replayOverrides` route for its version (`routed: true`), else
 * its own action (found by name or alias), else adoption for `adopt` creates.
 * @throws {EventEffectError} when nothing answers the event
 */
export function routeEvent(
  log: EventLog,
  resources: ReadonlyMap<string, AnyResource>,
  event: StoredEvent,
): { targets: EventTarget[]; routed: boolean } {
  const override = log.replayOverrides.find((o) =>
    o.resource === event.resource && o.action === event.action && o.versions.includes(event.version)
  );
  if (override !== undefined) {
    const targets = override.routeTo.map(([r, a]) => {
      // checkReplayRoutes proved at store creation that every route names a resource and action.
      const resource = resources.get(r)!;
      return { resource, actionName: a, action: findAction(resource, a) };
    });
    return { targets, routed: true };
  }
  const resource = resources.get(event.resource);
  if (resource === undefined) throw new EventEffectError(`No resource named "${event.resource}" is tracked`);
  const action = findAction(resource, event.action);
  if (action === undefined && !(event.action === "adopt" && event.actionType === "create")) {
    throw new EventEffectError(`${event.resource} has no action "${event.action}" (nor an alias of that name)`);
  }
  return { targets: [{ resource, actionName: event.action, action }], routed: false };
}
