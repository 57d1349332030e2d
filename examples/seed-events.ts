// Write sample events through the store of examples/events.config.ts, so that there is
// something to replay: `npx tsx examples/seed-events.ts [count]` (default 1000).
import process from "node:process";
import createStore, { close, writeSampleEvents } from "./events.config.ts";

const count = Number(process.argv[2] ?? 1000);
try {
  const opened = await writeSampleEvents(await createStore(), count);
  console.log(`Wrote ${count} events (${opened} accounts opened)`);
  console.log("Now: npx edge-events replay --config examples/events.config.ts");
} finally {
  await close();
}
