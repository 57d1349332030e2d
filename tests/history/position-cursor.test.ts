// The history and audit cursor: round trips, and every way a cursor can be wrong is a
// VALIDATION_FAILED naming the parameter, before anything is sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isEdgeEventsError } from "../../mod.ts";
import { type CursorScope, decodePositionCursor, encodePositionCursor } from "../../src/history/position-cursor.ts";

const scope: CursorScope = { table: '"events"', tenant: "t1", read: "history", filters: ["account", "a1"] };

function refused(cursor: unknown, s: CursorScope = scope, path?: string): void {
  assert.throws(() => decodePositionCursor(s, cursor, path), (error: unknown) => {
    assert.ok(isEdgeEventsError(error, "VALIDATION_FAILED"));
    assert.equal(error.issues[0]?.path, path ?? "cursor");
    return true;
  });
}

test("a cursor decodes to the position and direction it was made from", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.boolean(), (position, forward) => {
      const point = { position, direction: forward ? "forward" as const : "backward" as const };
      assert.deepEqual(decodePositionCursor(scope, encodePositionCursor(scope, point)), point);
    }),
  );
});

test("a cursor of another table, tenant, read, filter or direction is refused", () => {
  const cursor = encodePositionCursor(scope, { position: 42n, direction: "forward" });
  refused(cursor, { ...scope, table: '"other"' });
  refused(cursor, { ...scope, tenant: "t2" });
  refused(cursor, { ...scope, tenant: null });
  refused(cursor, { ...scope, tenant: undefined });
  refused(cursor, { ...scope, read: "audit" });
  refused(cursor, { ...scope, filters: ["account", "a2"] });
});

test("cut, edited, padded, oversized or non-string cursors are refused, naming the parameter", () => {
  const cursor = encodePositionCursor(scope, { position: 42n, direction: "backward" });
  refused(cursor.slice(0, -1));
  refused(`${cursor}=`);
  refused(cursor.replace("p1.", "p2."));
  refused(`p1.${btoa("43.b.00000000")}`);
  refused("x".repeat(300));
  refused(42);
  refused(null);
  refused("", scope, "before");
  fc.assert(
    fc.property(fc.string(), (text) => {
      try {
        decodePositionCursor(scope, text);
        assert.equal(text, cursor); // only a real cursor decodes
      } catch (error) {
        assert.ok(isEdgeEventsError(error, "VALIDATION_FAILED"));
      }
    }),
  );
});
