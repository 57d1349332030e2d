/**
 * The fingerprint of a resource's fold: what a savepoint records as `fold_version`, so that a
 * savepoint folded under other routes, versions, aliases or upcasters is retired, never
 * trusted. Functions cannot be hashed: the resource's `foldVersion` option stands for their
 * bodies (bump it when an upcaster, a `map` or a schema's transforms change).
 * @module
 */
import type { EffectEnv } from "./event-effect.ts";
import type { AnyResource } from "./resource.ts";

/** What the fingerprint covers, as JSON: everything that decides what an event folds to. */
export function foldDescription(env: EffectEnv, resource: AnyResource): string {
  const actions = Object.entries(resource.actions as Record<string, AnyAction>).sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, action]) => [
      name,
      action.type,
      action.version,
      Object.keys(action.options.upcast ?? {}).map(Number).sort((a, b) => a - b),
      action.options.accept ?? null,
      action.options.map !== undefined,
      action.options.soft ?? null,
      action.ignored,
    ]);
  const routes = env.log.replayOverrides
    .filter((o) => o.resource === resource.name || o.routeTo.some(([target]) => target === resource.name))
    .map((o) => [o.resource, o.action, [...o.versions], o.routeTo.map(([r, a]) => [r, a])]);
  return JSON.stringify({
    fold: 1,
    resource: resource.name,
    attributes: resource.attributeNames,
    primaryKey: resource.primaryKey.attribute,
    tenant: resource.tenant ?? null,
    actions,
    aliases: Object.entries(resource.aliases).sort(([a], [b]) => (a < b ? -1 : 1)),
    routes,
    foldVersion: resource.foldVersion,
  });
}

interface AnyAction {
  readonly type: string;
  readonly version: number;
  readonly ignored: boolean;
  readonly options: {
    readonly upcast?: Readonly<Record<number, unknown>>;
    readonly accept?: readonly string[];
    readonly map?: unknown;
    readonly soft?: string;
  };
}

// By log, then by resource: both are frozen definitions, so the description (a JSON text of
// the resource's actions and routes, written for every read that may use a savepoint) is
// made once per pair.
const cache = new WeakMap<object, WeakMap<AnyResource, Promise<string>>>();

/**
 * The fold version of `resource` under `env`'s routes: `f1-` and the SHA-256 of
 * {@link foldDescription}, in hex. Computed once per log and resource definition.
 *
 * @example
 * ```ts
 * import type { AnyResource, EventStore } from "edge-events";
 * import { foldVersionOf } from "./fold-version.ts";
 *
 * async function versionOf(store: EventStore, resource: AnyResource): Promise<string> {
 *   return await foldVersionOf(store, resource); // "f1-3a7b..."
 * }
 * ```
 */
export function foldVersionOf(env: EffectEnv, resource: AnyResource): Promise<string> {
  let byResource = cache.get(env.log);
  if (byResource === undefined) cache.set(env.log, byResource = new WeakMap());
  let version = byResource.get(resource);
  if (version === undefined) {
    const description = foldDescription(env, resource);
    version = crypto.subtle.digest("SHA-256", new TextEncoder().encode(description)).then((digest) =>
      `f1-${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")}`
    );
    byResource.set(resource, version);
  }
  return version;
}
