// The one fold of a record's events (src/core/record-fold.ts), in memory, without a database:
// only this record's effects, the superseded-by-a-later-adoption rule, starts from a savepoint,
// the stored text of timestamps, soft and hard destroys, and FOLD_FAILED naming the event.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { defineEventLog, defineResource, isEdgeEventsError } from "../../mod.ts";
import { foldRecord, FROM_START, stateAtPosition } from "../../src/core/record-fold.ts";
import type { AnyResource } from "../../src/core/resource.ts";
import type { StoredEvent } from "../../src/core/stored-event.ts";
import { type EventFields, storedEvent } from "../support/stored-events.ts";

const log = defineEventLog({
  table: "events",
  replayOverrides: [{ resource: "member", action: "signup", versions: [1], routeTo: [["account", "rename"]] }],
});

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({
    id: v.string(),
    owner: v.string(),
    touchedAt: v.optional(v.date()),
    deletedAt: v.optional(v.nullable(v.date())),
  }),
  actions: ({ create, update, destroy }) => ({
    open: create({ input: v.object({ owner: v.string() }) }),
    rename: update({ input: v.object({ owner: v.string() }) }),
    touch: update({ input: v.object({}) }),
    close: destroy({ soft: "deletedAt" }),
    purge: destroy(),
  }),
});

const Member = defineResource({
  name: "member",
  table: "members",
  attributes: v.object({ id: v.string(), owner: v.string() }),
  actions: ({ create }) => ({ signup: create({ input: v.object({ owner: v.string() }), version: 2 }) }),
});

const resources = new Map<string, AnyResource>([Account, Member].map((r) => [r.name, r as unknown as AnyResource]));
const env = { log, resources, resource: Account as unknown as AnyResource, recordId: "a1" };

function stream(...fields: EventFields[]): StoredEvent[] {
  return fields.map((f, i) => storedEvent(BigInt(i + 1), f));
}

const open = { action: "open", actionType: "create" as const, data: { owner: "ann" } };

describe("foldRecord(): one record's events", () => {
  test("each step carries the record before and after; the state is the last one", async () => {
    const events = stream(open, { action: "rename", data: { owner: "bob" } });
    const fold = await foldRecord(env, events);
    assert.equal(fold.folded, 2);
    assert.equal(fold.position, 2n);
    assert.equal(fold.steps[0]!.before.record, undefined);
    assert.deepEqual(fold.steps[0]!.after.record, { id: "a1", owner: "ann" });
    assert.deepEqual(fold.steps[1]!.before.record, { id: "a1", owner: "ann" });
    assert.deepEqual(fold.state.record, { id: "a1", owner: "bob" });
    assert.equal(fold.last, events[1]);
  });

  test("only effects on this record count: another record's event changes nothing", async () => {
    const events = stream(open, { action: "rename", recordId: "a2", data: { owner: "zed" } });
    const fold = await foldRecord(env, events);
    assert.deepEqual(fold.state.record, { id: "a1", owner: "ann" });
  });

  test("a routed event of another resource applies through its route", async () => {
    const events = stream(open, { resource: "member", action: "signup", actionType: "create", data: { owner: "cy" } });
    assert.deepEqual((await foldRecord(env, events)).state.record, { id: "a1", owner: "cy" });
  });

  test("a change before a later adoption is superseded and skipped, as replay skips it", async () => {
    const events = stream(
      { action: "rename", data: { owner: "early" } },
      { action: "adopt", actionType: "create", changes: { id: "a1", owner: "adopted" } },
    );
    const fold = await foldRecord(env, events);
    assert.deepEqual(fold.steps.map((s) => s.superseded), [true, false]);
    assert.deepEqual(fold.state.record, { id: "a1", owner: "adopted" });
    // The same from a position the caller read apart (history reads it in its query).
    const bounded = await foldRecord(env, events.slice(0, 1), { adoptedAt: 2n });
    assert.equal(bounded.steps[0]!.superseded, true);
  });

  test("from a start (a savepoint), events at or before its position are not folded again", async () => {
    const events = stream(open, { action: "rename", data: { owner: "bob" } }, {
      action: "rename",
      data: { owner: "cy" },
    });
    const full = await foldRecord(env, events);
    const at2 = stateAtPosition(full, 2n).state;
    const resumed = await foldRecord(env, events, { from: { position: 2n, state: at2 } });
    assert.equal(resumed.folded, 1);
    assert.deepEqual(resumed.state, full.state);
    const none = await foldRecord(env, events.slice(0, 2), { from: { position: 2n, state: at2 } });
    assert.equal(none.position, 2n, "nothing after the start: the start's position");
    assert.equal(none.state, at2);
  });

  test("upTo stops the fold; stateAtPosition finds the state at any position", async () => {
    const events = stream(open, { action: "rename", data: { owner: "bob" } });
    assert.deepEqual((await foldRecord(env, events, { upTo: 1n })).state.record, { id: "a1", owner: "ann" });
    const full = await foldRecord(env, events);
    assert.equal(stateAtPosition(full, null).state.record, undefined);
    assert.equal(stateAtPosition(full, 0n, FROM_START).state.record, undefined);
    assert.deepEqual(stateAtPosition(full, 1n).state.record, { id: "a1", owner: "ann" });
  });

  test("a timestamp keeps the text changes pinned (microseconds), until an event sets it otherwise", async () => {
    const micro = "2026-11-01T10:00:00.123456+00:00";
    const events = stream(open, { action: "touch", changes: { touchedAt: micro } }, {
      action: "touch",
      changes: { touchedAt: "2026-11-02T00:00:00.000Z" },
    });
    const fold = await foldRecord(env, events);
    assert.deepEqual(fold.steps[1]!.after.timestampTexts, { touchedAt: micro });
    assert.deepEqual(fold.state.timestampTexts, {});
  });

  test("soft and hard destroys: the destroying event is named; a soft destroy keeps the record", async () => {
    const soft = await foldRecord(
      env,
      stream(open, { action: "close", actionType: "destroy", changes: { deletedAt: "2026-11-01T00:00:00.000Z" } }, {
        action: "rename",
        data: { owner: "still" },
      }),
    );
    assert.equal(soft.state.destroyedBy?.position, 2n, "the soft destroy, not the later update");
    assert.equal(soft.state.record?.["owner"], "still");
    const hard = await foldRecord(env, stream(open, { action: "purge", actionType: "destroy" }));
    assert.equal(hard.state.record, undefined);
    assert.equal(hard.state.destroyedBy?.position, 2n);
  });

  test("an event that does not fit throws FOLD_FAILED naming its position and id", async () => {
    const events = stream(open, open);
    await assert.rejects(foldRecord(env, events), (error: unknown) => {
      assert.ok(isEdgeEventsError(error, "FOLD_FAILED"));
      assert.equal((error as { position?: bigint }).position, 2n);
      assert.equal((error as { eventId?: string }).eventId, events[1]!.id);
      return true;
    });
  });
});
