// How events, positions, dates and feed pages cross JSON: JSON.stringify of each *ToJson and
// JSON.parse into the matching *FromJson give the value back exactly (bigint positions past
// 2^53, Dates to the millisecond, nulls, actors); malformed input is a ValidationError naming
// every bad field; real events read from a store make the same round trip.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  dateFromJson,
  dateToJson,
  defineEventLog,
  defineResource,
  eventFromJson,
  eventToJson,
  feedPageFromJson,
  feedPageToJson,
  isEdgeEventsError,
  positionFromJson,
  positionToJson,
  type ReplayResult,
  replayResultToJson,
  type ReplayStatus,
  replayStatusToJson,
  type StoredEvent,
} from "../../mod.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";
import { prefixedTables } from "../support/models.ts";

const BEYOND_SAFE = 2n ** 53n + 1n; // 9007199254740993: a JSON number would read it as ...992
const MAX_POSITION = 2n ** 63n - 1n;

function event(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    position: BEYOND_SAFE,
    occurredAt: new Date("2024-03-01T09:00:00.123Z"),
    resource: "account",
    recordId: "acc-1",
    action: "open",
    actionType: "create",
    version: 2,
    data: { owner: "ann", tags: ["a"], nested: { n: 1.5, none: null } },
    changes: { balance: 100 },
    metadata: {},
    tenant: "org-a",
    correlationId: "01ARZ3NDEKTSV4RRFFQ69G5FAW",
    causationId: "01ARZ3NDEKTSV4RRFFQ69G5FAX",
    parentId: "01ARZ3NDEKTSV4RRFFQ69G5FAY",
    actor: { type: "user", id: "u-1" },
    ...overrides,
  };
}

const roundTrip = (e: StoredEvent): StoredEvent => eventFromJson(JSON.parse(JSON.stringify(eventToJson(e))));

function issuePaths(fn: () => unknown): (string | undefined)[] {
  try {
    fn();
  } catch (error) {
    assert.ok(isEdgeEventsError(error, "VALIDATION_FAILED"), String(error));
    return error.issues.map((i) => i.path);
  }
  assert.fail("expected a ValidationError");
}

describe("wire formats", () => {
  test("an event round-trips exactly: a position beyond 2^53 as a string, the date to the millisecond, the actor", () => {
    const original = event();
    const json = eventToJson(original);
    assert.equal(json.position, "9007199254740993");
    assert.equal(json.occurredAt, "2024-03-01T09:00:00.123Z");
    assert.deepEqual(roundTrip(original), original);
    assert.equal(typeof roundTrip(original).position, "bigint");
  });

  test("nulls round-trip as nulls: tenant, causation id, parent id and actor", () => {
    const original = event({ tenant: null, causationId: null, parentId: null, actor: null, position: 1n });
    const text = JSON.stringify(eventToJson(original));
    assert.match(text, /"tenant":null/);
    assert.match(text, /"parentId":null/);
    assert.match(text, /"actor":null/);
    assert.deepEqual(roundTrip(original), original);
  });

  test("an event's JSON without parentId (written before links) reads as no parent; a malformed one is named", () => {
    const json: Record<string, unknown> = { ...eventToJson(event()) };
    delete json["parentId"];
    assert.equal(eventFromJson(json).parentId, null);
    assert.deepEqual(issuePaths(() => eventFromJson({ ...json, parentId: 5 }, "events.0")), ["events.0.parentId"]);
  });

  test("positions: 0 and 2^63 - 1 round-trip; anything but canonical decimal strings is refused", () => {
    for (const p of [0n, 1n, BEYOND_SAFE, MAX_POSITION]) {
      assert.equal(positionFromJson(JSON.parse(JSON.stringify(positionToJson(p)))), p);
    }
    for (const bad of [5, "01", "-1", "1e3", " 1", "", null, (MAX_POSITION + 1n).toString()]) {
      assert.deepEqual(issuePaths(() => positionFromJson(bad, "after")), ["after"], JSON.stringify(bad));
    }
    assert.throws(() => positionToJson(-1n), RangeError);
    assert.throws(() => positionToJson(MAX_POSITION + 1n), RangeError);
  });

  test("dates: ISO-8601 UTC with milliseconds out; offsets and zero sub-millisecond digits in; lost precision refused", () => {
    assert.equal(dateToJson(new Date(0)), "1970-01-01T00:00:00.000Z");
    const ms = new Date("2024-02-29T23:59:59.999Z");
    assert.deepEqual(dateFromJson(dateToJson(ms)), ms);
    assert.deepEqual(dateFromJson("2024-03-01T10:00:00.123+01:00"), new Date("2024-03-01T09:00:00.123Z"));
    assert.deepEqual(dateFromJson("2024-03-01T09:00:00.123000Z"), new Date("2024-03-01T09:00:00.123Z"));
    assert.deepEqual(dateFromJson("2024-03-01T09:00:00Z"), new Date("2024-03-01T09:00:00.000Z"));
    for (
      const bad of [
        "2024-03-01T09:00:00.123456Z",
        "2024-03-01T09:00:00.123",
        "2024-03-01",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        0,
        null,
      ]
    ) {
      assert.deepEqual(issuePaths(() => dateFromJson(bad, "untilTime")), ["untilTime"], JSON.stringify(bad));
    }
    assert.throws(() => dateToJson(new Date(Number.NaN)), RangeError);
  });

  test("a malformed event names every bad field by its path and no value", () => {
    const json = {
      ...eventToJson(event()),
      position: 12,
      occurredAt: "yesterday",
      actionType: "upsert",
      version: 0,
      data: [],
      actor: { type: "user" },
    };
    delete (json as Record<string, unknown>)["recordId"];
    assert.deepEqual(issuePaths(() => eventFromJson(json, "events.2")).sort(), [
      "events.2.actionType",
      "events.2.actor.id",
      "events.2.data",
      "events.2.occurredAt",
      "events.2.position",
      "events.2.recordId",
      "events.2.version",
    ]);
    assert.deepEqual(issuePaths(() => eventFromJson("not an event")), [undefined]);
  });

  test("a feed page round-trips with its cursor as the opaque string it is", () => {
    const page = { events: [event(), event({ position: BEYOND_SAFE + 1n, actor: null })], cursor: "f1.abc_-" };
    assert.deepEqual(feedPageFromJson(JSON.parse(JSON.stringify(feedPageToJson(page)))), page);
    assert.deepEqual(issuePaths(() => feedPageFromJson({ events: [event()], cursor: 3 })), [
      "events.0.position",
      "events.0.occurredAt",
      "cursor",
    ], "an event not in its JSON form (a bigint, a Date) is refused field by field");
  });

  test("replay results and status become JSON-safe: positions as strings, dates as ISO-8601, nulls kept", () => {
    const result: ReplayResult = {
      replayId: "r",
      applied: 3,
      skipped: 1,
      routed: 0,
      lastPosition: BEYOND_SAFE,
      targetPosition: MAX_POSITION,
      remaining: 0,
      elapsedMs: 5,
      done: true,
      skippedEvents: [{ position: BEYOND_SAFE, eventId: "e", reason: "why" }],
      roundTrips: 4,
      pages: 1,
      dryRun: false,
    };
    const resultJson = JSON.parse(JSON.stringify(replayResultToJson(result)));
    assert.deepEqual(resultJson, {
      ...result,
      lastPosition: "9007199254740993",
      targetPosition: "9223372036854775807",
      skippedEvents: [{ position: "9007199254740993", eventId: "e", reason: "why" }],
    });
    const status: ReplayStatus = {
      replayId: "r",
      status: "running",
      tenant: null,
      untilEventId: null,
      untilTime: new Date("2024-03-01T09:00:05.123Z"),
      onError: "stop",
      pageSize: 10,
      targetPosition: BEYOND_SAFE,
      lastPosition: 0n,
      applied: 0,
      skipped: 0,
      routed: 0,
      eventsInScope: null,
      startedAt: new Date("2024-03-01T09:00:00.001Z"),
      updatedAt: new Date("2024-03-01T09:00:00.002Z"),
      finishedAt: null,
      error: null,
    };
    assert.deepEqual(JSON.parse(JSON.stringify(replayStatusToJson(status))), {
      ...status,
      untilTime: "2024-03-01T09:00:05.123Z",
      targetPosition: "9007199254740993",
      lastPosition: "0",
      startedAt: "2024-03-01T09:00:00.001Z",
      updatedAt: "2024-03-01T09:00:00.002Z",
    });
  });
});

for (const testCase of executorCases(["pglite"])) {
  describe(`wire formats over stored events [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    before(async () => {
      fx = await testCase.setup();
    });
    after(() => fx?.close());

    test("events and feed pages read from a store round-trip through JSON text exactly", async () => {
      const t = prefixedTables(fx.schema, "w");
      const log = defineEventLog({ table: t("events"), actors: { user: { column: "user_id", type: "text" } } });
      const Note = defineResource({
        name: "note",
        table: t("notes"),
        attributes: v.object({ id: v.string(), body: v.string() }),
        actions: ({ create, update }) => ({
          write: create({ input: v.object({ body: v.string() }) }),
          edit: update({ input: v.object({ body: v.string() }) }),
        }),
      });
      const store = createEventStore({ db: fx.db, log, resources: [Note] });
      await store.migrate({ resourceTables: true });
      const { record } = await store.resource(Note).write({ body: "a" }, {
        actor: { user: "u-1" },
        metadata: { via: "test" },
      });
      await store.resource(Note).edit(record.id, { body: "b" });
      const page = await store.readFeed();
      assert.equal(page.events.length, 2);
      assert.deepEqual(feedPageFromJson(JSON.parse(JSON.stringify(feedPageToJson(page)))), page);
      for (const e of await store.readEvents()) {
        assert.deepEqual(eventFromJson(JSON.parse(JSON.stringify(eventToJson(e)))), e);
      }
    });
  });
}
