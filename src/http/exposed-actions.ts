/**
 * The actions a router serves over HTTP, from its `actions` option, checked when the router is
 * made: a resource or action the store does not know, or a name that cannot be a path segment,
 * is a `TypeError` then rather than a route that never matches.
 * @module
 */
import type { AnyResource } from "../core/model-types.ts";
import type { EventStore } from "../core/store-types.ts";
import type { ExposedActions } from "./router-types.ts";

/** One exposed action. */
export interface ExposedAction {
  /** Its resource. */
  readonly resource: AnyResource;
  /** The action's name. */
  readonly action: string;
}

/** Names that are one path segment as they are: no `/`, `:` or `*`, nothing to percent-encode, not `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9_.~-]{0,99}$/;

function segment(name: string, what: string): void {
  if (!SEGMENT.test(name)) {
    throw new TypeError(`${what} cannot be served over HTTP: use letters, digits, _ . ~ - (at most 100)`);
  }
}

/**
 * The actions `option` exposes, in the store's resource order and each resource's action order.
 *
 * @param store the router's store
 * @param option the `actions` option
 * @returns the exposed actions
 * @throws {TypeError} an unknown resource or action, or a name that is no plain path segment
 */
export function exposedActions(store: EventStore, option: ExposedActions | undefined): ExposedAction[] {
  if (option === undefined) return [];
  if (typeof option !== "function") {
    if (typeof option !== "object" || option === null) throw new TypeError("actions must be an object or a function");
    for (const [name, actions] of Object.entries(option)) {
      const resource = store.resources.get(name);
      if (resource === undefined) throw new TypeError(`actions names an unknown resource "${name}"`);
      if (!Array.isArray(actions)) throw new TypeError(`actions.${name} must be a list of action names`);
      for (const action of actions) {
        if (typeof action !== "string" || !Object.hasOwn(resource.actions, action)) {
          throw new TypeError(`actions.${name} names an unknown action "${String(action)}"`);
        }
      }
    }
  }
  const exposes = typeof option === "function"
    ? option
    : (resource: string, action: string) => Object.hasOwn(option, resource) && option[resource]!.includes(action);
  const out: ExposedAction[] = [];
  for (const resource of store.resources.values()) {
    for (const action of Object.keys(resource.actions)) {
      if (exposes(resource.name, action) !== true) continue;
      segment(resource.name, `The resource name "${resource.name}"`);
      segment(action, `The action name "${resource.name}.${action}"`);
      out.push({ resource, action });
    }
  }
  return out;
}
