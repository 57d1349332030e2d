// The shared app as a Cloudflare Worker: `fetch` serves it (two actions, and the event log's
// routes under /events); `scheduled` (the Cron Trigger of wrangler.jsonc) moves a running replay
// on by one bounded step. Deploy from this folder: `npx wrangler secret put DATABASE_URL`, the
// same for JWT_SECRET, then `npx wrangler deploy`; run `store.migrate()` once from a deploy step.
import type { ExecutionContext } from "hono";
import { replayStatus, replayStep } from "edge-events";
import { createApp, createTodoStore } from "../../app/app.ts";

/** The bindings of wrangler.jsonc. */
export interface Env {
  /** Secret: the Neon connection string. */
  readonly DATABASE_URL: string;
  /** Secret: the key the app's tokens are signed with (HS256). */
  readonly JWT_SECRET: string;
  /** How long one scheduled run may keep starting replay pages (milliseconds). */
  readonly REPLAY_BUDGET_MS: string;
  /** Local development only: the `/sql` URL of `npx edge-events serve`. */
  readonly SQL_ENDPOINT?: string;
}

// One app per isolate: the bindings do not change between requests, and the store holds no
// connection (each query is a fetch of its own).
let app: ReturnType<typeof createApp> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createApp(createTodoStore(env.DATABASE_URL, env.SQL_ENDPOINT), env.JWT_SECRET);
    return app.fetch(request, env, ctx);
  },

  // Continues the running replay (an admin starts one with POST /events/replay), one step per
  // run; the cursor is the replay's id, kept in the database. It never starts one: a replay
  // clears the tables and holds writes (503) until it ends.
  async scheduled(_controller: unknown, env: Env): Promise<void> {
    const store = createTodoStore(env.DATABASE_URL, env.SQL_ENDPOINT);
    const running = await replayStatus(store);
    if (running?.status !== "running") return;
    await replayStep(store, { cursor: running.replayId, budgetMs: Number(env.REPLAY_BUDGET_MS) });
  },
};
