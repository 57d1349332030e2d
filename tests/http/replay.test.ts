// Replay over HTTP on every executor: a dry run, a replay run step by step through
// /replay/continue to its end, status, conflicts (409 while one runs), abort, bodies refused
// (415 not JSON, 400 malformed JSON, 422 naming the field), and a tenant admin's replay
// confined to its tenant, another tenant's replay being 404 to it.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { EventStore } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { appOf, as, assertProblem, call, issuePaths, notesOf, post, routerStore } from "./router-fixture.ts";

const ADMIN = as({ user: "root", admin: true });
const ACME_ADMIN = as({ user: "u1", org: "acme", admin: true });
const GLOBEX_ADMIN = as({ user: "u2", org: "globex", admin: true });

interface StepJson {
  readonly replayId: string;
  readonly done: boolean;
  readonly applied: number;
  readonly dryRun: boolean;
  readonly lastPosition: string;
}

describeEachExecutor("eventsRouter replay", {}, (fx) => {
  let store: EventStore;

  before(async () => {
    store = (await routerStore(fx.db, fx.schema)).store;
    const acme = notesOf(store, "acme", "u1");
    for (let i = 0; i < 3; i++) await acme.write(`a${i}`);
    const globex = notesOf(store, "globex", "u2");
    for (let i = 0; i < 2; i++) await globex.write(`g${i}`);
  });

  test("a dry run applies nothing and reports; then a replay runs step by step to its end", async () => {
    const { app } = appOf(store, { replay: { budgetMs: 1 } });
    const dry = await call(app, "/events/replay", post({ dryRun: true }, ADMIN));
    assert.equal(dry.status, 200, dry.text);
    assert.equal((dry.body as StepJson).dryRun, true);
    const first = await call(app, "/events/replay", post({}, ADMIN));
    const step = first.body as StepJson;
    assert.equal(step.done, false, first.text);
    assert.equal(typeof step.lastPosition, "string");
    const status = await call(app, "/events/replay", { headers: ADMIN });
    assert.equal((status.body as { status: string; replayId: string }).status, "running");
    assertProblem(await call(app, "/events/replay", post({}, ADMIN)), 409, "REPLAY_ALREADY_RUNNING");
    let current = step;
    for (let i = 0; i < 10 && !current.done; i++) {
      const next = await call(app, "/events/replay/continue", post({ cursor: step.replayId }, ADMIN));
      assert.equal(next.status, 200, next.text);
      current = next.body as StepJson;
    }
    assert.equal(current.done, true);
    assert.equal(current.applied, 5);
    const done = await call(app, `/events/replay?replayId=${step.replayId}`, { headers: ADMIN });
    assert.equal((done.body as { status: string }).status, "completed");
    assertProblem(
      await call(app, "/events/replay/continue", post({ cursor: step.replayId }, ADMIN)),
      409,
      "REPLAY_FAILED",
    );
    const aborted = await call(app, "/events/replay/abort", post({}, ADMIN));
    assert.deepEqual(aborted.body, { aborted: false });
  });

  test("abort lifts the fence of a running replay", async () => {
    const { app } = appOf(store, { replay: { budgetMs: 1 } });
    const started = (await call(app, "/events/replay", post({}, ADMIN))).body as StepJson;
    assert.equal(started.done, false);
    const aborted = await call(app, "/events/replay/abort", post({}, ADMIN));
    assert.deepEqual(aborted.body, { aborted: true });
    const status = await call(app, `/events/replay?replayId=${started.replayId}`, { headers: ADMIN });
    assert.equal((status.body as { status: string }).status, "aborted");
    await notesOf(store, "acme", "u1").write("writable again");
  });

  test("bodies: not JSON is 415, malformed JSON 400, a bad or unknown field 422 naming it", async () => {
    const { app } = appOf(store);
    const form = {
      method: "POST",
      headers: { ...ADMIN, "Content-Type": "application/x-www-form-urlencoded" },
      body: "a=1",
    };
    assertProblem(await call(app, "/events/replay", form), 415, "UNSUPPORTED_MEDIA_TYPE");
    const plain = { method: "POST", headers: ADMIN, body: "{}" };
    assertProblem(await call(app, "/events/replay", plain), 415, "UNSUPPORTED_MEDIA_TYPE");
    const broken = { method: "POST", headers: { ...ADMIN, "Content-Type": "application/json" }, body: "{oops" };
    assertProblem(await call(app, "/events/replay", broken), 400, "VALIDATION_FAILED");
    for (
      const [body, path] of [
        [{ untilEventId: "'; DROP TABLE events; --" }, "untilEventId"],
        [{ untilTime: "yesterday" }, "untilTime"],
        [{ pageSize: 1e9 }, "pageSize"],
        [{ dryRun: "yes" }, "dryRun"],
        [{ wipe: true }, "wipe"],
      ] as const
    ) {
      const answer = await call(app, "/events/replay", post(body, ADMIN));
      assertProblem(answer, 422, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(answer), [path]);
    }
    assertProblem(await call(app, "/events/replay/continue", post({ cursor: "nope" }, ADMIN)), 404, "NOT_FOUND");
  });

  test("with a tenant resolver a replay is confined to the caller's tenant; another tenant's is 404 to it", async () => {
    const { app, asked } = appOf(store, { replay: { budgetMs: 1 } });
    const step = (await call(app, "/events/replay", post({}, ACME_ADMIN))).body as StepJson;
    assert.equal(asked.at(-1)?.tenant, "acme");
    const status = await call(app, `/events/replay?replayId=${step.replayId}`, { headers: ACME_ADMIN });
    assert.equal((status.body as { tenant: string }).tenant, "acme");
    assertProblem(
      await call(app, `/events/replay?replayId=${step.replayId}`, { headers: GLOBEX_ADMIN }),
      404,
      "NOT_FOUND",
    );
    assertProblem(await call(app, "/events/replay/abort", post({}, GLOBEX_ADMIN)), 404, "NOT_FOUND");
    assertProblem(
      await call(app, "/events/replay/continue", post({ cursor: step.replayId }, GLOBEX_ADMIN)),
      404,
      "NOT_FOUND",
    );
    assert.deepEqual((await call(app, "/events/replay/abort", post({}, ACME_ADMIN))).body, { aborted: true });
  });
});
