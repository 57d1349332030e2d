import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeEventsError, isEdgeEventsError, StorageError } from "../mod.ts";
import { quoteIdentifier } from "../src/sql/identifier.ts";

test("quoteIdentifier() double-quotes a valid identifier", () => {
  assert.equal(quoteIdentifier("user_id"), '"user_id"');
});

test("quoteIdentifier() rejects an injection attempt with a TypeError", () => {
  assert.throws(() => quoteIdentifier('x"; DROP TABLE events; --'), TypeError);
});

test("isEdgeEventsError() recognises the brand and the code, on every runtime", () => {
  const err = new StorageError("the database could not be reached");
  assert.equal(isEdgeEventsError(err), true);
  assert.equal(isEdgeEventsError(err, "STORAGE_FAILURE"), true);
  assert.equal(isEdgeEventsError(err, "NOT_FOUND"), false);
  assert.equal(isEdgeEventsError(new Error("plain")), false);
  assert.ok(err instanceof EdgeEventsError);
});
