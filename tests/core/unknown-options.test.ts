// A misspelt option (`defualts`, `tabel`) is a definition mistake: it throws a TypeError that
// names the key and lists the allowed ones, instead of being ignored silently.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { defineEventLog, defineResource } from "../../mod.ts";

/** Asserts a TypeError naming `key` and every one of `allowed`. */
function throwsUnknown(define: () => unknown, key: string, allowed: readonly string[]): void {
  assert.throws(define, (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
    assert.ok(error.message.includes(`"${key}"`), `the message names "${key}": ${error.message}`);
    for (const name of allowed) assert.ok(error.message.includes(name), `the message lists ${name}: ${error.message}`);
    return true;
  });
}

const attributes = v.object({
  id: v.string(),
  name: v.string(),
  createdAt: v.optional(v.date()),
  deletedAt: v.optional(v.nullable(v.date())),
});

// deno-lint-ignore no-explicit-any
type Loose = any;

function resource(
  options: Record<string, unknown>,
  actions: (b: Loose) => Record<string, unknown> = () => ({}),
): unknown {
  return defineResource({ name: "thing", table: "things", attributes, actions, ...options } as Loose);
}

describe("defineEventLog() rejects unknown keys", () => {
  test("a misspelt top-level option names the key and the options", () => {
    throwsUnknown(() => defineEventLog({ tabel: "audit.events" } as Loose), "tabel", [
      "table",
      "actors",
      "lock",
      "replayOverrides",
    ]);
  });

  test("an unknown key in an actor, in lock and in a replay override", () => {
    throwsUnknown(
      () => defineEventLog({ actors: { user: { column: "user_id", type: "uuid", colum: "x" } } } as Loose),
      "colum",
      ["column", "type"],
    );
    throwsUnknown(() => defineEventLog({ lock: { scope: "tenant", scopes: "x" } } as Loose), "scopes", [
      "scope",
      "key",
    ]);
    throwsUnknown(
      () =>
        defineEventLog(
          {
            replayOverrides: [{ resource: "a", action: "b", versions: [1], routeTo: [["a", "c"]], route: [] }],
          } as Loose,
        ),
      "route",
      ["resource", "action", "versions", "routeTo"],
    );
  });

  test("lock takes scope or key, not both", () => {
    assert.throws(() => defineEventLog({ lock: { scope: "tenant", key: () => 1n } } as Loose), TypeError);
  });

  test("the documented options still pass", () => {
    assert.doesNotThrow(() =>
      defineEventLog({
        table: "audit.events",
        actors: { user: { column: "user_id", type: "uuid" } },
        lock: { key: () => 1n },
        replayOverrides: [{ resource: "a", action: "b", versions: [1], routeTo: [["a", "c"]] }],
      })
    );
  });
});

describe("defineResource() rejects unknown keys", () => {
  test("a misspelt top-level option names the key and the options", () => {
    throwsUnknown(() => resource({ defualts: {} }), "defualts", [
      "name",
      "table",
      "attributes",
      "primaryKey",
      "columns",
      "timestamps",
      "actions",
    ]);
    throwsUnknown(() => resource({ tenantId: "name" }), "tenantId", ["tenant"]);
  });

  test("an unknown key in primaryKey and in timestamps", () => {
    throwsUnknown(() => resource({ primaryKey: { attribute: "id", generated: "uuidv7" } }), "generated", [
      "attribute",
      "generate",
    ]);
    throwsUnknown(() => resource({ timestamps: { created: "createdAt" } }), "created", ["createdAt", "updatedAt"]);
  });

  test("the documented options still pass", () => {
    assert.doesNotThrow(() =>
      resource({
        primaryKey: { attribute: "id", generate: "uuidv7" },
        timestamps: { createdAt: "createdAt" },
        columns: { name: "title" },
      })
    );
  });
});

describe("the action builders reject unknown keys", () => {
  const common = ["input", "accept", "map", "version", "ignored", "aliases", "upcast", "before", "after"];

  test("create() names the misspelt key and its options", () => {
    throwsUnknown(() => resource({}, ({ create }) => ({ open: create({ defualts: { name: "x" } }) })), "defualts", [
      ...common,
      "defaults",
      "change",
    ]);
  });

  test("update() names the misspelt key and its options, and takes no defaults or soft", () => {
    throwsUnknown(() => resource({}, ({ update }) => ({ rename: update({ sets: () => ({}) }) })), "sets", [
      ...common,
      "change",
      "set",
    ]);
    throwsUnknown(() => resource({}, ({ update }) => ({ rename: update({ defaults: {} }) })), "defaults", [
      "change",
      "set",
    ]);
  });

  test("destroy() names the misspelt key and its options, and takes no change or set", () => {
    throwsUnknown(() => resource({}, ({ destroy }) => ({ remove: destroy({ sof: "deletedAt" }) })), "sof", [
      ...common,
      "soft",
    ]);
    throwsUnknown(() => resource({}, ({ destroy }) => ({ remove: destroy({ set: () => ({}) }) })), "set", ["soft"]);
  });

  test("every documented option of each builder still passes", () => {
    const hooks = { before: () => undefined, after: () => undefined };
    assert.doesNotThrow(() =>
      resource({}, ({ create, update, destroy }) => ({
        open: create({
          input: v.object({ name: v.string() }),
          accept: ["name"],
          defaults: { name: "x" },
          change: () => ({}),
          version: 2,
          upcast: { 1: (d: unknown) => d },
          aliases: ["start"],
          ...hooks,
        }),
        rename: update({ map: (input: { name: string }) => input, change: () => ({}), ignored: false, ...hooks }),
        touch: update({ set: () => ({}) }),
        remove: destroy({ soft: "deletedAt", ...hooks }),
      }))
    );
  });
});
