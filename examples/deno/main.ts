// The shared app on Deno, through Deno.serve:
//   DATABASE_URL=postgres://... JWT_SECRET=... deno run --allow-net --allow-env examples/deno/main.ts
// PORT picks the port (default 3000; 0 for any free one); SQL_ENDPOINT the local server's /sql
// URL in development. SIGINT or SIGTERM stops it once open requests finish.
import { createApp, createTodoStore } from "../app/app.ts";

const store = createTodoStore(Deno.env.get("DATABASE_URL")!, Deno.env.get("SQL_ENDPOINT"));
const app = createApp(store, Deno.env.get("JWT_SECRET")!);
const server = Deno.serve({
  port: Number(Deno.env.get("PORT") ?? 3000),
  onListen: ({ port }) => console.log(`listening on http://localhost:${port}/`),
}, app.fetch);
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => void server.shutdown());
await server.finished;
Deno.exit(0); // the signal listeners would keep the process alive
