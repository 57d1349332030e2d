/// <reference types="bun-types" />
// The shared app on Bun, through Bun.serve:
//   DATABASE_URL=postgres://... JWT_SECRET=... bun examples/bun/server.ts
// PORT picks the port (default 3000; 0 for any free one); SQL_ENDPOINT the local server's /sql
// URL in development. SIGINT or SIGTERM stops it, closing open connections.
import { createApp, createTodoStore } from "../app/app.ts";

const store = createTodoStore(Bun.env.DATABASE_URL!, Bun.env.SQL_ENDPOINT);
const app = createApp(store, Bun.env.JWT_SECRET!);
const server = Bun.serve({ port: Number(Bun.env.PORT ?? 3000), fetch: app.fetch });
console.log(`listening on http://localhost:${server.port}/`);
const stop = async (): Promise<void> => {
  await server.stop(true); // open connections too: SSE streams never end by themselves
  process.exit(0);
};
process.once("SIGINT", stop).once("SIGTERM", stop);
