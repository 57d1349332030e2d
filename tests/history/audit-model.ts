/**
 * The model and the log the audit and summary suites read: two resources (notes of a tenant,
 * tags without one), two actor types (a uuid user, a text system), a clock that moves one
 * minute per call, and a fixed sequence of writes with actors, correlations and causations.
 * @module
 */
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, type StoredEvent } from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";

/** The first event's time; each later call is one minute later. */
export const T0: number = Date.parse("2025-03-03T09:00:00Z");
export const ADA = "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21";
export const BEA = "5d2f1c3e-7a4b-4c8d-9e0f-1a2b3c4d5e6f";

/** The log and resources of a suite in `schema`. */
function auditModel(schema: string) {
  const log = defineEventLog({
    table: `${schema}.events`,
    actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
  });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
      erase: destroy(),
    }),
  });
  const Tag = defineResource({
    name: "tag",
    table: `${schema}.tags`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create, update, destroy }) => ({
      add: create({ input: v.object({ label: v.string() }) }),
      relabel: update({ input: v.object({ label: v.string() }) }),
      drop: destroy(),
    }),
  });
  return { log, Note, Tag };
}

/** A store of the model, and the function that writes the suite's log through it. */
export interface AuditFixture {
  /** A store whose clock moves one minute per read of it. */
  readonly store: EventStore<"user" | "system">;
  /**
   * Write the suite's log: tags (no tenant) and notes of tenants `acme` and `beta`, by users,
   * the system and nobody, with shared correlations and causations. Returns every event.
   */
  writeLog(): Promise<StoredEvent[]>;
}

/** The model over `db` in `schema`. */
export function auditFixture(db: Executor, schema: string): AuditFixture {
  const { log, Note, Tag } = auditModel(schema);
  let tick = 0;
  const store = createEventStore({ db, log, resources: [Note, Tag], clock: () => new Date(T0 + 60_000 * tick++) });
  const writeLog = async (): Promise<StoredEvent[]> => {
    const tags = store.resource(Tag);
    const a = await tags.add({ label: "a" }, { actor: { user: ADA }, correlationId: "req-1" });
    const b = await tags.add({ label: "b" }, { actor: { system: "cron" }, correlationId: "req-1" });
    await tags.relabel(a.record.id, { label: "a2" }, { actor: { user: BEA }, causationId: a.event!.id });
    await tags.relabel(b.record.id, { label: "b2" });
    await tags.drop(b.record.id, {}, { actor: { user: ADA }, causationId: a.event!.id });
    const acme = store.withContext({ tenant: "acme" }).resource(Note);
    const beta = store.withContext({ tenant: "beta" }).resource(Note);
    const n1 = await acme.write({ text: "one" }, { actor: { user: ADA }, correlationId: "req-2" });
    const n2 = await beta.write({ text: "two" }, { actor: { user: ADA }, correlationId: "req-2" });
    await acme.edit(n1.record.id, { text: "one!" }, { actor: { system: "cron" } });
    await beta.erase(n2.record.id, {}, { actor: { user: BEA } });
    await acme.write({ text: "three" }, { actor: { user: BEA } });
    await tags.add({ label: "c" }, { actor: { user: BEA } });
    return await store.readAllTenantsEvents({ limit: 1000 });
  };
  return { store, writeLog };
}
