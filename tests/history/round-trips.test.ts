// Every history operation is one HTTP request through the real neon() driver and the local
// server: a page, a state at a point (an event id resolved in the same query), a diff of two
// points, a timeline page (with everything before it for the fold), the events before an event.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  diff,
  type EventStore,
  history,
  previousEvents,
  stateAt,
  type StoredEvent,
  timeline,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";

describeEachExecutor("round trips of the history functions", { needs: ["http-requests"] }, (fx) => {
  let store: EventStore;
  let Note: ReturnType<typeof note>;
  const note = (schema: string) =>
    defineResource({
      name: "note",
      table: `${schema}.notes`,
      attributes: v.object({ id: v.string(), text: v.string() }),
      actions: ({ create, update }) => ({
        write: create({ input: v.object({ text: v.string() }) }),
        edit: update({ input: v.object({ text: v.string() }) }),
      }),
    });
  let id: string;
  const events: StoredEvent[] = [];

  const requestsOf = async (call: () => Promise<unknown>): Promise<number> => {
    const start = fx.requests()!;
    await call();
    return fx.requests()! - start;
  };

  before(async () => {
    Note = note(fx.schema);
    store = createEventStore({ db: fx.db, log: defineEventLog({ table: `${fx.schema}.events` }), resources: [Note] });
    await store.migrate({ resourceTables: true });
    const written = await store.resource(Note).write({ text: "a" });
    id = written.record.id;
    events.push(written.event!);
    for (const text of ["b", "c", "d"]) events.push((await store.resource(Note).edit(id, { text })).event!);
  });

  test("each operation is one HTTP request", async () => {
    const [first, second, , last] = events;
    const page = await history(store, Note, id, { limit: 2 });
    const calls: [string, () => Promise<unknown>][] = [
      ["history", () => history(store, Note, id, { limit: 2 })],
      ["history (next page)", () => history(store, Note, id, { cursor: page.cursor! })],
      ["history (backward)", () => history(store, Note, id, { direction: "backward" })],
      ["stateAt eventId", () => stateAt(store, Note, id, { eventId: second!.id })],
      ["stateAt at", () => stateAt(store, Note, id, { at: new Date() })],
      ["stateAt position", () => stateAt(store, Note, id, { position: last!.position })],
      ["diff", () => diff(store, Note, id, { eventId: first!.id }, { eventId: last!.id })],
      ["timeline", () => timeline(store, Note, id, { limit: 2 })],
      ["timeline (backward)", () => timeline(store, Note, id, { direction: "backward", limit: 1 })],
      ["previousEvents", () => previousEvents(store, last!.id)],
    ];
    for (const [name, call] of calls) assert.equal(await requestsOf(call), 1, name);
  });
});
