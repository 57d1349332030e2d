// The read endpoints on every executor: pages followed to the end through their opaque
// cursors (every event once, none missing), state at a time / event / position, diff, timeline,
// summary, ETag and If-None-Match (304), 404 for unknown resources and records, and hostile
// parameters (SQL metacharacters, huge limits, malformed cursors, dates and positions, unknown
// and repeated parameters) answered with a problem naming the parameter, never a 500.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { EventStore } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { appOf, as, assertProblem, call, issuePaths, notesOf, routerStore } from "./router-fixture.ts";

const ADMIN = { user: "u1", org: "acme", admin: true };

interface EventJson {
  readonly id: string;
  readonly position: string;
  readonly action: string;
  readonly occurredAt: string;
  readonly data?: Record<string, unknown>;
}

describeEachExecutor("eventsRouter reads", {}, (fx) => {
  let store: EventStore;
  let note: string;
  const EDITS = 6;

  before(async () => {
    store = (await routerStore(fx.db, fx.schema)).store;
    const acme = notesOf(store, "acme", "u1");
    note = await acme.write("v0");
    for (let i = 1; i <= EDITS; i++) await acme.edit(note, `v${i}`);
    await acme.write("other");
  });

  async function follow(path: string, key: "events" | "entries"): Promise<unknown[]> {
    const { app } = appOf(store);
    const items: unknown[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const sep = path.includes("?") ? "&" : "?";
      const url: string = cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`;
      const answer = await call(app, url, { headers: as(ADMIN) });
      assert.equal(answer.status, 200, answer.text);
      const body = answer.body as Record<string, unknown>;
      items.push(...(body[key] as unknown[]));
      cursor = body["cursor"] as string | null;
      if (cursor === null) return items;
    }
    assert.fail("the cursor never ended");
  }

  test("history pages of 2, forward and backward, tile the record's events exactly once", async () => {
    const forward = (await follow(`/events/note/${note}/history?limit=2`, "events")) as EventJson[];
    assert.deepEqual(forward.map((e) => e.data?.["text"]), ["v0", "v1", "v2", "v3", "v4", "v5", "v6"]);
    assert.equal(new Set(forward.map((e) => e.id)).size, EDITS + 1);
    assert.ok(forward.every((e) => typeof e.position === "string" && /Z$/.test(e.occurredAt)));
    const backward = (await follow(`/events/note/${note}/history?limit=3&direction=backward`, "events")) as EventJson[];
    assert.deepEqual(backward.map((e) => e.id), forward.map((e) => e.id).reverse());
  });

  test("audit pages of 2 and timeline pages of 3 follow to the end without duplicates or gaps", async () => {
    const audit = (await follow("/events/audit?limit=2&resource=note", "events")) as EventJson[];
    assert.equal(audit.length, EDITS + 2);
    assert.deepEqual(
      audit.map((e) => BigInt(e.position)),
      audit.map((e) => BigInt(e.position)).sort((a, b) => (a < b ? -1 : 1)),
    );
    const edits = (await follow("/events/audit?action=edit&limit=4", "events")) as EventJson[];
    assert.equal(edits.length, EDITS);
    const timeline = (await follow(`/events/note/${note}/timeline?limit=3`, "entries")) as {
      before: { text: string } | null;
      after: { text: string };
    }[];
    assert.deepEqual(timeline.map((t) => [t.before?.text ?? null, t.after.text]), [
      [null, "v0"],
      ["v0", "v1"],
      ["v1", "v2"],
      ["v2", "v3"],
      ["v3", "v4"],
      ["v4", "v5"],
      ["v5", "v6"],
    ]);
  });

  test("state at a position, an event id and a time; diff between two points; summary", async () => {
    const { app } = appOf(store);
    const events = (await follow(`/events/note/${note}/history`, "events")) as EventJson[];
    const third = events[2]!;
    const byPosition = await call(app, `/events/note/${note}/state?position=${third.position}`, { headers: as(ADMIN) });
    assert.deepEqual((byPosition.body as { record: { text: string } }).record.text, "v2");
    const byEvent = await call(app, `/events/note/${note}/state?eventId=${third.id}`, { headers: as(ADMIN) });
    assert.deepEqual(byEvent.body, byPosition.body);
    const at = encodeURIComponent(third.occurredAt);
    const byTime = await call(app, `/events/note/${note}/state?at=${at}`, { headers: as(ADMIN) });
    assert.equal((byTime.body as { status: string }).status, "exists");
    const before = await call(app, `/events/note/${note}/state?at=2000-01-01T00:00:00Z`, { headers: as(ADMIN) });
    assert.deepEqual(before.body, { status: "not-created", createdLater: true, lastEvent: null });
    const diff = await call(
      app,
      `/events/note/${note}/diff?fromEventId=${events[0]!.id}&toPosition=${events[6]!.position}`,
      {
        headers: as(ADMIN),
      },
    );
    assert.deepEqual(diff.body, { changes: { text: { before: "v0", after: "v6" } } });
    const summary = await call(app, "/events/summary?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00.000%2B02:00", {
      headers: as(ADMIN),
    });
    const counts = summary.body as { total: number; byActionType: Record<string, number>; byActor: unknown[] };
    assert.equal(counts.total, EDITS + 2);
    assert.deepEqual(counts.byActionType, { create: 2, update: EDITS, destroy: 0 });
    assert.deepEqual(counts.byActor, [{ actor: { type: "user", id: "u1" }, count: EDITS + 2 }]);
  });

  test("history pages and states carry an ETag; If-None-Match with it is 304 with no body, and a new event changes it", async () => {
    const { app } = appOf(store);
    for (const path of [`/events/note/${note}/history?limit=50`, `/events/note/${note}/state?position=999999`]) {
      const first = await call(app, path, { headers: as(ADMIN) });
      const etag = first.headers.get("ETag");
      assert.match(etag ?? "", /^"[0-9a-f]+"$/);
      assert.match(first.headers.get("Cache-Control") ?? "", /private/);
      const again = await call(app, path, { headers: { ...as(ADMIN), "If-None-Match": etag! } });
      assert.equal(again.status, 304);
      assert.equal(again.text, "");
      assert.equal(again.headers.get("ETag"), etag);
      const other = await call(app, path, { headers: { ...as(ADMIN), "If-None-Match": '"stale"' } });
      assert.equal(other.status, 200);
    }
    const path = `/events/note/${note}/history?limit=50`;
    const etag = (await call(app, path, { headers: as(ADMIN) })).headers.get("ETag")!;
    const other = notesOf(store, "acme", "u1");
    const fresh = await other.write("fresh");
    await other.edit(note, "v7");
    const changed = await call(app, path, { headers: { ...as(ADMIN), "If-None-Match": etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("ETag"), etag);
    await other.remove(fresh);
    // What a caller without payload rights sees has an ETag of its own.
    const plain = await call(app, path, { headers: as({ user: "u9", org: "acme" }) });
    assert.notEqual(plain.headers.get("ETag"), changed.headers.get("ETag"));
  });

  test("an unknown resource and a record without events are 404 problems; unknown routes too", async () => {
    const { app } = appOf(store);
    assertProblem(await call(app, `/events/nothing/${note}/history`, { headers: as(ADMIN) }), 404, "NOT_FOUND");
    for (const op of ["history", "timeline", "state?position=5", "diff?fromPosition=0&toPosition=5"]) {
      assertProblem(
        await call(app, `/events/note/01J00000000000000000000000/${op}`, { headers: as(ADMIN) }),
        404,
        "NOT_FOUND",
      );
    }
    assertProblem(await call(app, "/events/no/such/route/here", { headers: as(ADMIN) }), 404, "NOT_FOUND");
  });

  describe("hostile parameters", () => {
    const HOSTILE = ["' OR 1=1 --", "note'; DROP TABLE events; --", '"; SELECT pg_sleep(10); --', "%00", "\u0000"];

    test("SQL metacharacters in the path and in filters are a 404 or a problem naming the parameter, never a 500", async () => {
      const { app } = appOf(store);
      for (const bad of HOSTILE) {
        const enc = encodeURIComponent(bad);
        const resource = await call(app, `/events/${enc}/1/history`, { headers: as(ADMIN) });
        assertProblem(resource, 404, "NOT_FOUND");
        const record = await call(app, `/events/note/${enc}/history`, { headers: as(ADMIN) });
        assert.ok([400, 404].includes(record.status), record.text);
        for (const key of ["resource", "action", "correlationId", "causationId"]) {
          const answer = await call(app, `/events/audit?${key}=${enc}`, { headers: as(ADMIN) });
          if (answer.status === 200) {
            assert.deepEqual((answer.body as { events: unknown[] }).events, []);
          } else {
            assertProblem(answer, 400, "VALIDATION_FAILED");
            assert.deepEqual(issuePaths(answer), [key]);
          }
        }
      }
      assert.equal((await call(app, "/events/audit", { headers: as(ADMIN) })).status, 200); // the log is still there
    });

    test("huge and malformed limits, cursors, dates and positions name the parameter", async () => {
      const { app } = appOf(store);
      const cases: [string, string][] = [
        [`/events/note/${note}/history?limit=1000000000000`, "limit"],
        [`/events/note/${note}/history?limit=101`, "limit"],
        [`/events/note/${note}/history?limit=0`, "limit"],
        [`/events/note/${note}/history?limit=-1`, "limit"],
        [`/events/note/${note}/history?limit=1e3`, "limit"],
        [`/events/note/${note}/history?cursor=p1.AAAA`, "cursor"],
        [`/events/note/${note}/history?cursor=${"x".repeat(300)}`, "cursor"],
        [`/events/note/${note}/history?direction=sideways`, "direction"],
        [`/events/note/${note}/state?position=9223372036854775808`, "position"],
        [`/events/note/${note}/state?position=-1`, "position"],
        [`/events/note/${note}/state?at=yesterday`, "at"],
        [`/events/note/${note}/state?at=2025-02-30T00:00:00Z`, "at"],
        [`/events/note/${note}/state?eventId=not-a-ulid`, "eventId"],
        [`/events/note/${note}/state`, "at"],
        [`/events/note/${note}/state?at=2025-01-01T00:00:00Z&position=1`, "position"],
        ["/events/audit?from=2025-13-01T00:00:00Z", "from"],
        ["/events/audit?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "from"],
        ["/events/audit?actionType=explode", "actionType"],
        ["/events/audit?limit=5&limit=6", "limit"],
        ["/events/audit?bogus=1", "bogus"],
        ["/events/summary?from=2025-01-01T00:00:00Z", "to"],
        ["/events/feed?after=f1.forged", "after"],
        ["/events/feed?limit=10001", "limit"],
      ];
      for (const [path, parameter] of cases) {
        const answer = await call(app, path, { headers: as(ADMIN) });
        assertProblem(answer, 400, "VALIDATION_FAILED");
        assert.ok(issuePaths(answer).includes(parameter), `${path}: ${answer.text}`);
        assert.doesNotMatch(answer.text, /SELECT|INSERT|\$1|stack|at .*\.ts/);
      }
    });
  });
});
