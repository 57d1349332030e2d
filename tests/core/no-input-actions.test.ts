// An action defined without an input schema takes no input: a call that passes something as its
// input (most often the context, in the input's place: `close(id, { actor })`) is refused with
// VALIDATION_FAILED naming the key, before anything is sent. Before, the default schema was a
// plain object, which drops unknown keys: the event was written without its actor, silently.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type Executor, isEdgeEventsError } from "../../mod.ts";

const log = defineEventLog({ table: "events", actors: { user: { column: "user_id", type: "text" } } });
const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({ id: v.string(), balance: v.number(), closedAt: v.nullish(v.date()) }),
  actions: ({ create, update, destroy }) => ({
    open: create({ defaults: { balance: 0 } }),
    bump: update({ change: (record) => ({ balance: record.balance + 1 }) }),
    close: destroy({ soft: "closedAt" }),
    remove: destroy(),
  }),
});

/** An executor that fails the test if anything reaches it. */
const nothingSent: Executor = {
  kind: "nothing-sent",
  query: () => Promise.reject(new Error("a statement was sent")),
  batch: () => Promise.reject(new Error("a batch was sent")),
};

test("a context passed in the input's place of an action without input is refused, naming the key", async () => {
  const accounts = createEventStore({ db: nothingSent, log, resources: [Account] }).resource(Account);
  const calls = [
    () => accounts.remove("a1", { actor: { user: "u1" } }),
    () => accounts.close("a1", { actor: { user: "u1" } }),
    () => accounts.bump("a1", { correlationId: "req-1" }),
    () => accounts.open({ actor: { user: "u1" } }),
  ];
  for (const call of calls) {
    await assert.rejects(call(), (error: unknown) => {
      assert.ok(isEdgeEventsError(error, "VALIDATION_FAILED"), String(error));
      assert.match(error.issues[0]?.path ?? "", /^(actor|correlationId)$/);
      return true;
    });
  }
});

test("an empty input, or none, is still accepted by an action without input", async () => {
  // Nothing is sent until the write: a refusal here would come from validation, before the executor.
  const accounts = createEventStore({ db: nothingSent, log, resources: [Account] }).resource(Account);
  await assert.rejects(accounts.remove("a1"), /a batch was sent/);
  await assert.rejects(accounts.remove("a1", {}), /a batch was sent/);
  await assert.rejects(accounts.remove("a1", undefined, { actor: { user: "u1" } }), /a batch was sent/);
});
