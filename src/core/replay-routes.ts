/**
 * Finding an action by name or alias, and the store-creation check of the log's replay
 * routes. In core: `createEventStore` checks the routes without loading the replay engine.
 * @module
 */
import type { ActionDefinition } from "./action.ts";
import type { AnyResource } from "./resource.ts";
import type { EventLog } from "./event-log.ts";
import type { AnySchema } from "./validation.ts";

type AnyAction = ActionDefinition<Record<string, unknown>, AnySchema>;

/** The action of `resource` named `name`, or whose alias `name` is. */
export function findAction(resource: AnyResource, name: string): AnyAction | undefined {
  const actions = resource.actions as Record<string, AnyAction>;
  return actions[name] ?? actions[resource.aliases[name] ?? ""];
}

/**
 * Check at store creation that every replay route names existing resources and actions.
 * @throws {TypeError} for a route to an unknown resource or action
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
    }
  }
}
