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
  what: string | (() => string),
): Promise<Record<string, unknown>> {
  const unknown = Object.keys(values).filter((k) => !resource.attributeNames.includes(k));
  if (unknown.length > 0) {
    throw validationError(`${typeof what === "string" ? what : what()} sets an unknown attribute`, unknown[0]);
  }
  return await validate(partialShape(resource, Object.keys(values)), values, what) as Record<string, unknown>;
}

// The partial schema of each set of attributes an update sets, made once per resource and set:
// a fold validates every event, and building the schema cost more than using it.
const partialShapes = new WeakMap<AnyResource, Map<string, AnySchema>>();

function partialShape(resource: AnyResource, keys: readonly string[]): AnySchema {
  let shapes = partialShapes.get(resource);
  if (shapes === undefined) partialShapes.set(resource, shapes = new Map());
  const key = JSON.stringify(keys);
  let shape = shapes.get(key);
  if (shape === undefined) {
    shapes.set(key, shape = v.partial(v.pick(resource.attributes, keys as never)));
    // Sets are few per resource; a caller setting arbitrary key combinations must not grow this without bound.
    if (shapes.size > 256) shapes.delete(shapes.keys().next().value!);
  }
  return shape;
}
