// The shared app on Node, through @hono/node-server:
//   DATABASE_URL=postgres://... JWT_SECRET=... node --import tsx examples/node/server.ts
// PORT picks the port (default 3000; 0 for any free one); SQL_ENDPOINT the local server's /sql
// URL in development. SIGINT or SIGTERM stops it, closing open connections.
import process from "node:process";
import { serve } from "@hono/node-server";
import { createApp, createTodoStore } from "../app/app.ts";

const store = createTodoStore(process.env.DATABASE_URL!, process.env.SQL_ENDPOINT);
const app = createApp(store, process.env.JWT_SECRET!);
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, ({ port }) => {
  console.log(`listening on http://localhost:${port}/`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  // SSE streams never end by themselves (their clients resume with Last-Event-ID), and a
  // connection kept alive after its last answer would hold the exit for seconds: close them all.
  if ("closeAllConnections" in server) server.closeAllConnections();
};
process.once("SIGINT", stop).once("SIGTERM", stop);
