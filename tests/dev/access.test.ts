/**
 * The local server is a development tool that a web page must not be able to use (issue 8 §5):
 * it serves one role and database, checks `Host` and `Origin`, and can require a token.
 * Every request here would have run SQL on the old server.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import {
  createLocalFetchEndpoint,
  localFetchEndpoint,
  type SqlOverHttpServer,
  startSqlOverHttpServer,
} from "../../src/dev/mod.ts";
import { DATABASE, DATABASE_URL, rejection, uniqueName, withNeonConfig } from "./harness.ts";

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch does not let a caller set `Host`). */
function raw(port: number, method: string, headers: Record<string, string>, body = ""): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/sql", method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on(
        "end",
        () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const connectionString = (port: number, user = "postgres", database = DATABASE): string =>
  `postgres://${encodeURIComponent(user)}:pw@localhost:${port}/${encodeURIComponent(database)}`;

function sqlHeaders(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Host: `localhost:${port}`,
    "Neon-Connection-String": connectionString(port),
    "Neon-Raw-Text-Output": "true",
    "Neon-Array-Mode": "true",
    ...extra,
  };
}

describe("the local server refuses what a web page or another role could do through it", () => {
  const schema = uniqueName("eedev_access");
  const otherRole = uniqueName("eedev_other");
  const appRole = uniqueName("eedev_app");
  let server: SqlOverHttpServer;
  let oracle: pg.Client;
  const insert = (): string => JSON.stringify({ query: `INSERT INTO ${schema}.hits VALUES (1)`, params: [] });
  const hits = async (): Promise<number> =>
    ((await oracle.query(`SELECT count(*)::int AS n FROM ${schema}.hits`)).rows[0] as { n: number }).n;

  before(async () => {
    server = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0 });
    neonConfig.fetchEndpoint = localFetchEndpoint;
    oracle = new pg.Client({ connectionString: DATABASE_URL });
    await oracle.connect();
    await oracle.query(`CREATE SCHEMA ${schema}`);
    await oracle.query(`CREATE TABLE ${schema}.hits (n int)`);
    await oracle.query(`CREATE ROLE ${otherRole} LOGIN`);
    await oracle.query(`CREATE ROLE ${appRole} LOGIN`);
  });

  after(async () => {
    await server.close();
    await oracle.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await oracle.query(`DROP ROLE IF EXISTS ${otherRole}`);
    await oracle.query(`DROP ROLE IF EXISTS ${appRole}`);
    await oracle.end();
  });

  test("a cross-origin preflight gets no Access-Control-Allow-Origin", async () => {
    const answer = await raw(server.port, "OPTIONS", {
      Host: `localhost:${server.port}`,
      Origin: "https://evil.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "neon-connection-string, neon-raw-text-output, neon-array-mode",
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.headers["access-control-allow-origin"], undefined);
  });

  test("a POST from a foreign origin is refused before anything runs, without CORS headers", async () => {
    const answer = await raw(
      server.port,
      "POST",
      sqlHeaders(server.port, { Origin: "https://evil.example" }),
      insert(),
    );
    assert.equal(answer.status, 403);
    assert.equal(answer.headers["access-control-allow-origin"], undefined);
    assert.equal(await hits(), 0);
    const nullOrigin = await raw(server.port, "POST", sqlHeaders(server.port, { Origin: "null" }), insert());
    assert.equal(nullOrigin.status, 403);
    assert.equal(await hits(), 0);
  });

  test("responses without an Origin carry no Access-Control-Allow-Origin at all", async () => {
    const answer = await raw(
      server.port,
      "POST",
      sqlHeaders(server.port),
      JSON.stringify({ query: "SELECT 1", params: [] }),
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["access-control-allow-origin"], undefined);
  });

  test("a request whose Host is not a loopback name is refused (DNS rebinding)", async () => {
    for (const host of ["evil.example:4444", `evil.example:${server.port}`, "127.0.0.1.nip.io", "db.localtest.me"]) {
      const answer = await raw(server.port, "POST", sqlHeaders(server.port, { Host: host }), insert());
      assert.equal(answer.status, 403, host);
      assert.match(JSON.parse(answer.body).message, /--allow-host/);
    }
    assert.equal(await hits(), 0);
    for (
      const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, "app.localhost"]
    ) {
      const answer = await raw(
        server.port,
        "POST",
        sqlHeaders(server.port, { Host: host }),
        JSON.stringify({ query: "SELECT 1", params: [] }),
      );
      assert.equal(answer.status, 200, host);
    }
  });

  test("a request for another role is refused with the message of Neon's proxy", async () => {
    const other = neon(connectionString(server.port, otherRole));
    const err = await rejection(other`SELECT current_user`);
    assert.equal(err.message, `password authentication failed for user '${otherRole}'`);
    assert.equal(err["code"], "");
  });

  test("a request for another database is refused as a database that does not exist", async () => {
    const other = neon(connectionString(server.port, "postgres", "template1"));
    const err = await rejection(other`SELECT current_database()`);
    assert.equal(err.message, 'database "template1" does not exist');
    assert.equal(err["code"], "3D000");
  });

  test("statements run as the role the server was started for: pg_read_file and COPY in a DO block are denied", async () => {
    const url = new URL(DATABASE_URL);
    url.username = appRole;
    url.password = "";
    const app = await startSqlOverHttpServer({ databaseUrl: url.href, port: 0 });
    try {
      const superuser = neon(connectionString(app.port, "postgres"));
      const refused = await rejection(superuser.query("DO $$ BEGIN PERFORM pg_read_file('/etc/hostname'); END $$"));
      assert.equal(refused.message, "password authentication failed for user 'postgres'");
      const sql = neon(connectionString(app.port, appRole));
      assert.deepStrictEqual(await sql`SELECT current_user AS u`, [{ u: appRole }]);
      const read = await rejection(sql.query("DO $$ BEGIN PERFORM pg_read_file('/etc/hostname'); END $$"));
      assert.equal(read["code"], "42501");
      const copy = await rejection(sql.query("DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''true'''; END $$"));
      assert.equal(copy["code"], "42501");
    } finally {
      await app.close();
    }
  });

  test("explicit allow lists serve the roles and databases they name, and only those", async () => {
    const listed = await startSqlOverHttpServer({
      databaseUrl: DATABASE_URL,
      port: 0,
      allowedRoles: [otherRole],
      allowedDatabases: [DATABASE],
    });
    try {
      assert.deepStrictEqual(await neon(connectionString(listed.port, otherRole))`SELECT current_user AS u`, [{
        u: otherRole,
      }]);
      const postgres = await rejection(neon(connectionString(listed.port, "postgres"))`SELECT 1`);
      assert.equal(postgres.message, "password authentication failed for user 'postgres'");
    } finally {
      await listed.close();
    }
    await assert.rejects(startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0, allowedRoles: [] }), TypeError);
    await assert.rejects(startSqlOverHttpServer({ pglite: {}, port: 0, allowedRoles: ["x"] }), TypeError);
  });

  test("an allowed origin gets its own origin back, never *, and may run SQL", async () => {
    const origin = "http://localhost:5173";
    const browserish = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0, allowedOrigins: [origin] });
    try {
      const preflight = await raw(browserish.port, "OPTIONS", {
        Host: `127.0.0.1:${browserish.port}`,
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true",
      });
      assert.equal(preflight.status, 200);
      assert.equal(preflight.headers["access-control-allow-origin"], origin);
      assert.equal(preflight.headers["vary"], "Origin");
      assert.equal(preflight.headers["access-control-allow-private-network"], "true");
      assert.match(String(preflight.headers["access-control-allow-headers"]), /Neon-Connection-String/);
      const body = JSON.stringify({ query: "SELECT 1", params: [] });
      const post = await raw(browserish.port, "POST", sqlHeaders(browserish.port, { Origin: origin }), body);
      assert.equal(post.status, 200);
      assert.equal(post.headers["access-control-allow-origin"], origin);
      const other = await raw(
        browserish.port,
        "POST",
        sqlHeaders(browserish.port, { Origin: "http://localhost:5174" }),
        body,
      );
      assert.equal(other.status, 403);
    } finally {
      await browserish.close();
    }
    const upper = await startSqlOverHttpServer({
      databaseUrl: DATABASE_URL,
      port: 0,
      allowedOrigins: ["http://LOCALHOST:5173"],
    });
    try {
      const answer = await raw(upper.port, "OPTIONS", { Host: `localhost:${upper.port}`, Origin: origin });
      assert.equal(answer.headers["access-control-allow-origin"], origin);
    } finally {
      await upper.close();
    }
    for (
      const bad of [
        "*",
        "null",
        "localhost:5173",
        "http://localhost:5173/app",
        "http://localhost:5173/",
        "http://localhost:5173?x",
      ]
    ) {
      await assert.rejects(
        startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0, allowedOrigins: [bad] }),
        TypeError,
        bad,
      );
    }
  });

  test("a server with a token refuses requests without it and serves the driver through createLocalFetchEndpoint", async () => {
    const guarded = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0, token: "s3cret-token" });
    try {
      assert.equal(guarded.token, "s3cret-token");
      assert.match(guarded.url, /\/sql\?token=s3cret-token$/);
      const without = await raw(guarded.port, "POST", sqlHeaders(guarded.port), insert());
      assert.equal(without.status, 401);
      const wrong = await raw(
        guarded.port,
        "POST",
        sqlHeaders(guarded.port, { "Edge-Events-Token": "s3cret-tokeN" }),
        insert(),
      );
      assert.equal(wrong.status, 401);
      assert.equal(await hits(), 0);
      const header = await raw(
        guarded.port,
        "POST",
        sqlHeaders(guarded.port, { "Edge-Events-Token": "s3cret-token" }),
        insert(),
      );
      assert.equal(header.status, 200);
      const sql = neon(connectionString(guarded.port));
      const plain = await rejection(sql`SELECT 1`);
      assert.match(plain.message, /HTTP status 401/);
      const rows = await withNeonConfig(
        { fetchEndpoint: createLocalFetchEndpoint({ token: guarded.token }) },
        () => sql`SELECT count(*)::int AS n FROM ${sql.unsafe(`${schema}.hits`)}`,
      );
      assert.deepStrictEqual(rows, [{ n: 1 }]);
      await withNeonConfig(
        { fetchEndpoint: guarded.url },
        async () => assert.deepStrictEqual(await sql`SELECT 2 AS n`, [{ n: 2 }]),
      );
    } finally {
      await guarded.close();
      await oracle.query(`TRUNCATE ${schema}.hits`);
    }
  });

  test("a server listening beyond loopback always has a token", async () => {
    const open = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0, hostname: "0.0.0.0" });
    try {
      assert.match(open.token ?? "", /^[0-9a-f]{32}$/);
      const without = await raw(
        open.port,
        "POST",
        sqlHeaders(open.port),
        JSON.stringify({ query: "SELECT 1", params: [] }),
      );
      assert.equal(without.status, 401);
    } finally {
      await open.close();
    }
  });
});
