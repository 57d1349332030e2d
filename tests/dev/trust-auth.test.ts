// A connection string without a password: served when the upstream Postgres asks for none
// (trust authentication; see conformance.test.ts, item 22), refused as Neon refuses it when the
// upstream asks for one, and never answered with the server's own credentials (PGPASSWORD,
// ~/.pgpass). The upstream that asks is a stub speaking the start of the Postgres protocol:
// it reads the startup message, asks for a cleartext password and records what comes back.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { neon } from "@neondatabase/serverless";
import { type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";
import { rejection, withNeonConfig } from "./harness.ts";

/** AuthenticationCleartextPassword: 'R', length 8, code 3. */
const ASK_FOR_PASSWORD = Uint8Array.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

/** An ErrorResponse refusing the password, so that a password sent fails fast instead of waiting. */
function refusal(): Uint8Array {
  const fields = new TextEncoder().encode("SFATAL\0C28P01\0Mpassword authentication failed\0\0");
  const message = new Uint8Array(5 + fields.length);
  message[0] = 0x45; // 'E'
  new DataView(message.buffer).setInt32(1, 4 + fields.length);
  message.set(fields, 5);
  return message;
}

describe("a connection string without a password, upstream asking for one", () => {
  let upstream: Server;
  let server: SqlOverHttpServer;
  const received: string[] = []; // message types after the startup message
  const sockets = new Set<Socket>();

  before(async () => {
    upstream = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      let started = false;
      socket.on("data", (chunk: Uint8Array) => {
        if (!started) {
          started = true; // the startup message has no type byte
          socket.write(ASK_FOR_PASSWORD);
          return;
        }
        received.push(String.fromCharCode(chunk[0]!));
        socket.end(refusal());
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as { port: number }).port;
    server = await startSqlOverHttpServer({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/db`, port: 0 });
  });

  after(async () => {
    await server.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  test("is refused as Neon refuses it, and the server's own PGPASSWORD is never sent", async () => {
    const saved = process.env["PGPASSWORD"];
    process.env["PGPASSWORD"] = "the-server-operators-secret";
    try {
      const sql = neon(`postgres://postgres@localhost:${server.port}/db`);
      const err = await withNeonConfig({ fetchEndpoint: server.url }, () => rejection(sql`SELECT 1`));
      assert.equal(err.message, "missing authentication credentials: required password");
    } finally {
      if (saved === undefined) delete process.env["PGPASSWORD"];
      else process.env["PGPASSWORD"] = saved;
    }
    assert.ok(!received.includes("p"), `no password message reached the upstream: ${JSON.stringify(received)}`);
  });
});
