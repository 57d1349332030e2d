/**
 * Building blocks of the test models that several suites define alike: the table names of a
 * suite with a prefix, the attributes of an account, the atomic deposit, and the project. Each suite still
 * writes its own resources; these only spare it the lines that are the same everywhere.
 * @module
 */
import * as v from "valibot";
import { type ActionDefinition, defineResource, ref, type Resource, sql, type SqlFragment } from "../../mod.ts";

/**
 * A table namer for a suite that shares a schema with others: `t("events")` is
 * `<schema>.<prefix>_events`.
 *
 * @param schema the fixture's schema
 * @param prefix the suite's prefix
 * @returns the namer
 */
export function prefixedTables(schema: string, prefix: string): (name: string) => string {
  return (name: string): string => `${schema}.${prefix}_${name}`;
}

type Optional<S extends v.GenericSchema> = v.OptionalSchema<S, undefined>;

/** The attributes every account model starts with: id, owner, label, status and balance. */
export const ACCOUNT_ENTRIES: {
  id: v.StringSchema<undefined>;
  owner: v.StringSchema<undefined>;
  label: Optional<v.StringSchema<undefined>>;
  status: v.OptionalSchema<v.PicklistSchema<["open", "frozen"], undefined>, "open">;
  balance: v.NumberSchema<undefined>;
} = {
  id: v.string(),
  owner: v.string(),
  label: v.optional(v.string()),
  status: v.optional(v.picklist(["open", "frozen"]), "open"),
  balance: v.number(),
};

/** The timestamp attributes of an account with `timestamps: { createdAt, updatedAt }` and soft destroys. */
export const TIMESTAMP_ENTRIES: {
  createdAt: Optional<v.DateSchema<undefined>>;
  updatedAt: Optional<v.DateSchema<undefined>>;
  deletedAt: Optional<v.NullableSchema<v.DateSchema<undefined>, undefined>>;
} = {
  createdAt: v.optional(v.date()),
  updatedAt: v.optional(v.date()),
  deletedAt: v.optional(v.nullable(v.date())),
};

/** The input of a deposit. */
export const DEPOSIT_INPUT: v.ObjectSchema<{ amount: v.NumberSchema<undefined> }, undefined> = v.object({
  amount: v.number(),
});

/**
 * The atomic balance increment of a deposit: `balance = balance + amount` in SQL.
 *
 * @param input the deposit input
 * @returns the set clause
 */
export function depositSet({ amount }: { amount: number }): { balance: SqlFragment<"balance"> } {
  return { balance: sql`${ref("balance")} + ${amount}` };
}

/** The attributes of a project. */
export interface ProjectAttributes {
  id: string;
  orgId: string;
  title: string;
  updatedAt?: Date | undefined;
}

type TitleInput = v.ObjectSchema<{ readonly title: v.StringSchema<undefined> }, undefined>;

/** A project: a tenant-scoped resource (by `orgId`) that is started, retitled and dropped. */
export type ProjectResource = Resource<ProjectAttributes, {
  start: ActionDefinition<ProjectAttributes, TitleInput, "create">;
  retitle: ActionDefinition<ProjectAttributes, TitleInput, "update">;
  drop: ActionDefinition<ProjectAttributes, v.ObjectSchema<Record<never, never>, undefined>, "destroy">;
}>;

/**
 * The project resource of the replay suites.
 *
 * @param table its table (qualified)
 * @returns the resource
 */
export function projectResource(table: string): ProjectResource {
  return defineResource({
    name: "project",
    table,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), title: v.string(), updatedAt: v.optional(v.date()) }),
    timestamps: { updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      start: create({ input: v.object({ title: v.string() }) }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      drop: destroy(),
    }),
  });
}
