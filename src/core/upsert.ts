/**
 * Upserts: what the SQL layer needs to know of a create that upserts on an identity.
 * @module
 */
import { upsertIdentity } from "./action.ts";
import type { AnyResource } from "./resource.ts";
import type { UpsertTarget } from "../sql/write-statements.ts";

/**
 * How `action` upserts on `resource`'s table: the identity (the tenant first, for a
 * multi-tenant resource), the soft-destroy attributes the unique index leaves out when set,
 * and what the update path keeps. Undefined for an action that does not upsert.
 */
export function upsertTargetOf(
  resource: AnyResource,
  action: { readonly type: "create" | "update" | "destroy"; readonly options: object },
): UpsertTarget | undefined {
  const identity = upsertIdentity(action);
  if (identity === undefined) return undefined;
  const withTenant = resource.tenant === undefined ? [...identity] : [resource.tenant, ...identity];
  const { createdAt } = resource.timestamps;
  // The identity is not kept: the update path found it equal, and a replay by key must set it
  // (an update may have changed it since).
  const kept = [
    resource.primaryKey.attribute,
    ...(resource.tenant === undefined ? [] : [resource.tenant]),
    ...(createdAt === undefined ? [] : [createdAt]),
  ];
  return Object.freeze({
    identity: Object.freeze(withTenant),
    live: resource.softDeleteAttributes,
    kept: Object.freeze(kept),
    createdAt,
  });
}

/** The identities of a resource's upserts, each once (as {@link upsertTargetOf} spells them). */
export function upsertTargetsOf(resource: AnyResource): UpsertTarget[] {
  const seen = new Map<string, UpsertTarget>();
  for (const action of Object.values(resource.actions as Record<string, Parameters<typeof upsertTargetOf>[1]>)) {
    const target = upsertTargetOf(resource, action);
    if (target !== undefined) seen.set(target.identity.join("\u0000"), target);
  }
  return [...seen.values()];
}
