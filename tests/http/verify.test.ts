// The chain's verification over HTTP on every executor: POST /verify needs a grant with
// verify: true (true alone is 403), runs bounded steps followed by cursor to the end, names a
// tampered event, confines a tenant's caller to its own chain (another tenant's cursor is
// refused), and refuses a body it does not know.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { createEventStore, defineEventLog, type EventStore } from "../../mod.ts";
import type { AccessRequest } from "../../src/http/mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { appOf, as, assertProblem, call, notesOf, post, routerModel } from "./router-fixture.ts";

const ROOT = as({ user: "root", admin: true });
const ACME = as({ user: "u1", org: "acme", admin: true });
const READER = as({ user: "u3" });

interface StepJson {
  readonly ok: boolean;
  readonly done: boolean;
  readonly cursor: string | null;
  readonly checked: number;
  readonly failure: { reason: string; eventId: string; position: string } | null;
}

const authorize = (c: { req: { header(name: string): string | undefined } }, request: AccessRequest) => {
  if (c.req.header("x-user") === undefined) return false;
  if (request.operation === "verify") return { verify: c.req.header("x-admin") === "1" };
  return true;
};

describeEachExecutor("eventsRouter verify", {}, (fx) => {
  let store: EventStore;

  before(async () => {
    const model = routerModel(fx.schema);
    const log = defineEventLog({
      table: `${fx.schema}.events`,
      actors: { user: { column: "user_id", type: "text" } },
      lock: { scope: "tenant" },
      integrity: { chain: true },
    });
    store = createEventStore({ db: fx.db, log, resources: [model.Note, model.Tag] });
    await store.migrate({ resourceTables: true });
    const acme = notesOf(store, "acme", "u1");
    for (let i = 0; i < 3; i++) await acme.write(`a${i}`);
    const globex = notesOf(store, "globex", "u2");
    for (let i = 0; i < 2; i++) await globex.write(`g${i}`);
  });

  test("bounded steps followed by cursor verify every chain; true alone is refused", async () => {
    const { app } = appOf(store, { authorize });
    assertProblem(await call(app, "/events/verify", post({}, READER)), 403, "FORBIDDEN");
    let step = (await call(app, "/events/verify", post({ limit: 2 }, ROOT))).body as StepJson;
    for (let i = 0; i < 20 && !step.done; i++) {
      const next = await call(app, "/events/verify", post({ cursor: step.cursor, limit: 2 }, ROOT));
      assert.equal(next.status, 200, next.text);
      step = next.body as StepJson;
    }
    assert.deepEqual([step.ok, step.done, step.checked, step.failure], [true, true, 5, null]);
  });

  test("a tenant's caller verifies its own chain, and another chain's cursor is refused", async () => {
    const { app } = appOf(store, { authorize });
    const own = (await call(app, "/events/verify", post({}, ACME))).body as StepJson;
    assert.deepEqual([own.ok, own.done, own.checked], [true, true, 3]);
    const root = (await call(app, "/events/verify", post({ limit: 1 }, ROOT))).body as StepJson;
    const foreign = await call(app, "/events/verify", post({ cursor: root.cursor }, ACME));
    assertProblem(foreign, 422, "VALIDATION_FAILED");
    assertProblem(await call(app, "/events/verify", post({ limit: 0 }, ROOT)), 422, "VALIDATION_FAILED");
    assertProblem(await call(app, "/events/verify", post({ tenant: "globex" }, ROOT)), 422, "VALIDATION_FAILED");
  });

  test("a tampered event is named with its reason", async () => {
    const { app } = appOf(store, { authorize });
    const t = `${fx.schema}.events`;
    const [row] =
      (await fx.db.query({ text: `SELECT id FROM ${t} WHERE tenant = 'acme' ORDER BY position`, params: [] }))
        .rows;
    await fx.db.batch([
      { text: `ALTER TABLE ${t} DISABLE TRIGGER USER`, params: [] },
      { text: `UPDATE ${t} SET metadata = '{"forged": 1}' WHERE id = $1`, params: [String(row!["id"])] },
      { text: `ALTER TABLE ${t} ENABLE TRIGGER USER`, params: [] },
    ]);
    const step = (await call(app, "/events/verify", post({}, ACME))).body as StepJson;
    assert.deepEqual([step.ok, step.failure?.reason, step.failure?.eventId], [false, "payload_edited", row!["id"]]);
  });
});
