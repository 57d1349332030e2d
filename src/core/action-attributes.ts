/**
 * What an action's input makes of a record's attributes, shared by the live write path
 * (`write-plan.ts`, `action-runner.ts`) and by the event effect that replay and history apply
 * (`event-effect.ts`): one definition of `accept`/`map` and of a partial update's validation.
 * @module
 */
import * as v from "valibot";
import type { ActionDefinition } from "./action.ts";
import type { AnyResource } from "./resource.ts";
import { type AnySchema, validate, validationError } from "./validation.ts";

/** The attributes an action takes from its input (`accept`, `map`, or same-named keys). */
export function inputToAttributes(
  resource: AnyResource,
  action: ActionDefinition<Record<string, unknown>, AnySchema>,
  input: unknown,
): Record<string, unknown> {
  if (action.options.map !== undefined) return { ...action.options.map(input as never) };
  const source = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const keys = action.options.accept ?? Object.keys(source).filter((k) => resource.attributeNames.includes(k));
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  if (resource.tenant !== undefined) delete out[resource.tenant];
  return out;
}

/**
 * Validate the attributes an update sets against the resource's schema (partially).
 * @throws {ValidationError} for unknown attributes or invalid values
 */
export async function validateSet(
  resource: AnyResource,
  values: Record<string, unknown>,
  what: string,
): Promise<Record<string, unknown>> {
  const unknown = Object.keys(values).filter((k) => !resource.attributeNames.includes(k));
  if (unknown.length > 0) throw validationError(`${what} sets an unknown attribute`, unknown[0]);
  const shape = v.partial(v.pick(resource.attributes, Object.keys(values) as never));
  return await validate(shape, values, what) as Record<string, unknown>;
}
