// The event-effect module in memory, without a database: what one stored event does to a
// record (routing, aliases, upcasters, pinned changes, nulls, soft destroys), and evolve()
// folding effects into the record the live write path leaves. Replay turns the same effects
// into SQL (tests/replay/*), history folds them (tests/history/*).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { defineEventLog, defineResource } from "../../mod.ts";
import { type EventEffect, eventEffects, evolve } from "../../src/core/event-effect.ts";
import { EventEffectError } from "../../src/core/replay-routes.ts";
import type { AnyResource } from "../../src/core/resource.ts";
import type { StoredEvent } from "../../src/core/stored-event.ts";
import { type EventFields, storedEvent } from "../support/stored-events.ts";

const log = defineEventLog({
  table: "events",
  replayOverrides: [{
    resource: "member",
    action: "signup",
    versions: [1],
    routeTo: [["member", "importMember"], ["profile", "importProfile"]],
  }],
});

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({
    id: v.string(),
    owner: v.string(),
    balance: v.number(),
    note: v.optional(v.string()),
    openedAt: v.optional(v.date()),
    deletedAt: v.optional(v.nullable(v.date())),
  }),
  actions: ({ create, update, destroy }) => ({
    open: create({
      input: v.object({ owner: v.pipe(v.string(), v.minLength(1)) }),
      defaults: { balance: 0 },
      version: 3,
      upcast: {
        1: (data) => ({ owner: `${String(data["first"])} ${String(data["last"])}` }),
        2: (data) => ({ owner: String(data["owner"]).toUpperCase() }),
      },
    }),
    rename: update({ input: v.object({ owner: v.string() }), aliases: ["changeOwner"] }),
    close: destroy({ soft: "deletedAt" }),
    purge: destroy(),
  }),
});

const Member = defineResource({
  name: "member",
  table: "members",
  attributes: v.object({ id: v.string(), name: v.string() }),
  actions: ({ create }) => ({
    signup: create({ input: v.object({ name: v.string() }), version: 2 }),
    importMember: create({ input: v.object({ name: v.string(), bio: v.string() }), accept: ["name"], ignored: true }),
  }),
});

const Profile = defineResource({
  name: "profile",
  table: "profiles",
  attributes: v.object({ id: v.string(), bio: v.string() }),
  actions: ({ create }) => ({
    importProfile: create({
      input: v.object({ name: v.string(), bio: v.string() }),
      map: (input) => ({ bio: input.bio }),
      ignored: true,
    }),
  }),
});

const resources = new Map<string, AnyResource>(
  [Account, Member, Profile].map((r) => [r.name, r as unknown as AnyResource]),
);
const env = { log, resources };

let position = 0n;
function event(fields: EventFields): StoredEvent {
  position++;
  return storedEvent(position, fields);
}

async function only(e: StoredEvent): Promise<EventEffect> {
  const { effects } = await eventEffects(env, e);
  assert.equal(effects.length, 1);
  return effects[0]!;
}

function attributesOf(effect: EventEffect): Readonly<Record<string, unknown>> {
  assert.notEqual(effect.kind, "delete");
  return (effect as Extract<EventEffect, { attributes: unknown }>).attributes;
}

describe("eventEffects(): one event, one effect", () => {
  test("a create of the current version inserts the whole record with its pinned defaults", async () => {
    const effect = await only(
      event({ action: "open", actionType: "create", version: 3, data: { owner: "Ada" }, changes: { balance: 0 } }),
    );
    assert.equal(effect.kind, "insert");
    assert.deepEqual(attributesOf(effect), { id: "a1", owner: "Ada", balance: 0 });
  });

  test("an old create is upcast through every step from its version", async () => {
    const effect = await only(
      event({
        action: "open",
        actionType: "create",
        version: 1,
        data: { first: "ada", last: "lovelace" },
        changes: { balance: 0 },
      }),
    );
    assert.equal(attributesOf(effect)["owner"], "ADA LOVELACE");
  });

  test("an update named by an alias sets only what its input gives", async () => {
    const effect = await only(event({ action: "changeOwner", data: { owner: "Grace" } }));
    assert.equal(effect.kind, "update");
    assert.deepEqual(attributesOf(effect), { owner: "Grace" });
  });

  test("pinned changes win over the input and are revived to the schema's types", async () => {
    const effect = await only(
      event({
        action: "rename",
        data: { owner: "Grace" },
        changes: { owner: "GRACE", openedAt: "2026-01-02T03:04:05.678Z", unknownColumn: 1 },
      }),
    );
    assert.deepEqual(attributesOf(effect), { owner: "GRACE", openedAt: new Date("2026-01-02T03:04:05.678Z") });
  });

  test("a recorded null is kept as null past validation", async () => {
    const effect = await only(event({ action: "rename", data: { owner: "Grace" }, changes: { note: null } }));
    assert.deepEqual(attributesOf(effect), { owner: "Grace", note: null });
  });

  test("a soft destroy is an update of the soft-delete attribute; a hard destroy deletes", async () => {
    const soft = await only(
      event({ action: "close", actionType: "destroy", changes: { deletedAt: "2026-11-02T00:00:00.000Z" } }),
    );
    assert.equal(soft.kind, "update");
    assert.deepEqual(attributesOf(soft), { deletedAt: new Date("2026-11-02T00:00:00.000Z") });
    assert.equal((await only(event({ action: "purge", actionType: "destroy" }))).kind, "delete");
  });

  test("a routed event has one effect per route target, in the target's shape", async () => {
    const { effects, routed } = await eventEffects(
      env,
      event({
        resource: "member",
        recordId: "m1",
        action: "signup",
        actionType: "create",
        data: { name: "Ada", bio: "math" },
      }),
    );
    assert.equal(routed, true);
    assert.deepEqual(effects.map((e) => [e.resource.name, e.kind, attributesOf(e)]), [
      ["member", "insert", { id: "m1", name: "Ada" }],
      ["profile", "insert", { id: "m1", bio: "math" }],
    ]);
  });

  test("an adoption creates the record from its changes", async () => {
    const effect = await only(
      event({ action: "adopt", actionType: "create", changes: { id: "a1", owner: "Old", balance: 7 } }),
    );
    assert.deepEqual([effect.kind, attributesOf(effect)], ["insert", { id: "a1", owner: "Old", balance: 7 }]);
  });

  test("an unknown action, an unknown resource and refused data are EventEffectErrors naming the event", async () => {
    await assert.rejects(eventEffects(env, event({ action: "vanish" })), (error: unknown) => {
      assert.ok(error instanceof EventEffectError);
      assert.match(error.message, /account has no action "vanish"/);
      return true;
    });
    await assert.rejects(eventEffects(env, event({ resource: "ghost", action: "x" })), EventEffectError);
    await assert.rejects(
      eventEffects(env, event({ action: "open", actionType: "create", version: 3, data: { owner: "" } })),
      (error: unknown) => error instanceof EventEffectError && /position \d+ \(account\.open v3\)/.test(error.message),
    );
  });
});

describe("evolve(): folding effects into a record", () => {
  test("create, update, soft destroy and hard destroy fold to the live record", async () => {
    const events = [
      event({ action: "open", actionType: "create", version: 3, data: { owner: "Ada" }, changes: { balance: 0 } }),
      event({ action: "rename", data: { owner: "Grace" } }),
      event({ action: "close", actionType: "destroy", changes: { deletedAt: "2026-11-02T00:00:00.000Z" } }),
    ];
    let state: Record<string, unknown> | undefined;
    const states = [];
    for (const e of events) {
      state = evolve(state, await only(e));
      states.push(state);
    }
    assert.deepEqual(states, [
      { id: "a1", owner: "Ada", balance: 0 },
      { id: "a1", owner: "Grace", balance: 0 },
      { id: "a1", owner: "Grace", balance: 0, deletedAt: new Date("2026-11-02T00:00:00.000Z") },
    ]);
    assert.equal(evolve(state, await only(event({ action: "purge", actionType: "destroy" }))), undefined);
  });

  test("evolve never changes the state it is given", async () => {
    const before = Object.freeze({ id: "a1", owner: "Ada", balance: 0 });
    const after = evolve(before, await only(event({ action: "rename", data: { owner: "Grace" } })));
    assert.deepEqual(before, { id: "a1", owner: "Ada", balance: 0 });
    assert.equal(after?.["owner"], "Grace");
  });

  test("a second create, or a change or destroy of a missing record, is refused as the database would", async () => {
    const create = await only(
      event({ action: "open", actionType: "create", version: 3, data: { owner: "Ada" }, changes: { balance: 0 } }),
    );
    assert.throws(() => evolve({ id: "a1" }, create), /created twice/);
    assert.throws(() => evolve(undefined, { ...create, kind: "update" } as EventEffect), /changed before it exists/);
    assert.throws(() => evolve(undefined, { ...create, kind: "delete" } as EventEffect), /destroyed before it exists/);
  });
});
