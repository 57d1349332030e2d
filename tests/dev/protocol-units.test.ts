/**
 * Pure pieces of the dev server's protocol handling, without a database.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { beginSql, parseBatchHeaders } from "../../src/dev/batch-headers.ts";
import { parseConnectionString } from "../../src/dev/connection-string.ts";
import { isCopyStatement } from "../../src/dev/copy-guard.ts";
import { textToJson } from "../../src/dev/json-output.ts";
import { createLocalFetchEndpoint, localFetchEndpoint } from "../../src/dev/mod.ts";
import { jsonParamToText } from "../../src/dev/params.ts";
import { parseStartupOptions } from "../../src/dev/pglite-settings.ts";
import { decodePayload } from "../../src/dev/request-body.ts";
import { parseCommandTag } from "../../src/dev/result-writer.ts";

describe("protocol pieces of the local server", () => {
  test("JSON parameters become Postgres text the way Neon's proxy converts them", () => {
    assert.deepStrictEqual(
      [null, 'a"b', true, 42, 4.2, { x: [1] }, [1, "a", null, [true]], [{ k: "v" }]].map(jsonParamToText),
      [null, 'a"b', "true", "42", "4.2", '{"x":[1]}', '{1,"a",NULL,{true}}', '{"{\\"k\\":\\"v\\"}"}'],
    );
  });

  test("the connection string is percent-decoded and Neon's option tokens are dropped", () => {
    const info = parseConnectionString(
      "postgresql://http%2Bauth%24%24:%25%2B%24%5E%26*%40!@db.localtest.me:5432/db%20with%20spaces" +
        "?application_name=app&options=endpoint%3Dep-1%20-c%20search_path%3Dx&sslmode=require",
    );
    assert.deepStrictEqual(info, {
      user: "http+auth$$",
      password: "%+$^&*@!",
      database: "db with spaces",
      applicationName: "app",
      options: "-c search_path=x",
    });
  });

  test("malformed connection strings get Neon's messages", () => {
    const message = (header: string | null): string => {
      try {
        parseConnectionString(header);
      } catch (err) {
        return (err as Error).message;
      }
      return "accepted";
    };
    assert.equal(message(null), "invalid header: neon-connection-string");
    assert.equal(message("mysql://u:p@h/d"), "incorrect scheme");
    assert.equal(message("postgres://h/d"), "missing username");
    assert.equal(message("postgres://u:p@h/d"), "accepted");
  });

  test("batch headers are on only when exactly true and unknown levels are refused", () => {
    const options = parseBatchHeaders(
      new Headers({
        "Neon-Batch-Isolation-Level": "RepeatableRead",
        "Neon-Batch-Read-Only": "true",
        "Neon-Batch-Deferrable": "True",
      }),
    );
    assert.equal(beginSql(options), "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    assert.equal(beginSql(parseBatchHeaders(new Headers())), "START TRANSACTION");
    assert.throws(() => parseBatchHeaders(new Headers({ "Neon-Batch-Isolation-Level": "serializable" })), {
      message: "invalid isolation level",
    });
  });

  test("bodies decode as a single query first, then as a batch, and nothing else", () => {
    assert.equal(decodePayload({ query: "SELECT 1", queries: [] }).kind, "query");
    assert.deepStrictEqual(decodePayload({ queries: [] }), { kind: "batch", statements: [] });
    for (const bad of [{ query: "x", params: null }, { queries: [{ params: [] }] }, [], "SELECT 1"]) {
      assert.throws(() => decodePayload(bad), { message: /^could not parse the HTTP request body/ });
    }
  });

  test("command tags split into Neon's command and row count", () => {
    assert.deepStrictEqual(
      ["INSERT 0 3", "SELECT 5", "CREATE TABLE", "BEGIN", "MERGE 2", ""].map(parseCommandTag),
      [
        { command: "INSERT", rowCount: 3 },
        { command: "SELECT", rowCount: 5 },
        { command: "CREATE", rowCount: null },
        { command: "BEGIN", rowCount: null },
        { command: "MERGE", rowCount: 2 },
        { command: "", rowCount: null },
      ],
    );
  });

  test("JSON output mode converts by type and parses builtin arrays", () => {
    assert.deepStrictEqual(
      [["t", 16], ["42", 23], ["NaN", 701], ['{"a": 1}', 3802], ["9007199254740993", 20], ["[1:2]={1,2}", 1007]].map(
        ([text, oid]) => textToJson(String(text), Number(oid)),
      ),
      ["true", "42", '"NaN"', '{"a": 1}', '"9007199254740993"', "[1,2]"],
    );
    assert.equal(textToJson('{{"a b",NULL},{"NULL",c}}', 1009), '[["a b",null],["NULL","c"]]');
  });

  test("COPY is recognized behind comments and whitespace only as the first keyword", () => {
    assert.equal(isCopyStatement("  -- c\n /* a /* nested */ b */ copy t TO STDOUT"), true);
    assert.equal(isCopyStatement("SELECT 'copy'"), false);
    assert.equal(isCopyStatement("copyright"), false);
  });

  test("libpq startup options yield the settings they set", () => {
    assert.deepStrictEqual(
      [...parseStartupOptions("-c search_path=a,b -cstatement_timeout=5 --work-mem=64kB -c app.x=a\\ b")],
      [["search_path", "a,b"], ["statement_timeout", "5"], ["work_mem", "64kB"], ["app.x", "a b"]],
    );
  });

  test("local hosts map to local servers by port and other hosts to Neon", () => {
    assert.equal(localFetchEndpoint("localhost", "5555"), "http://localhost:5555/sql");
    assert.equal(localFetchEndpoint("127.0.0.1", ""), "http://127.0.0.1:4444/sql");
    assert.equal(localFetchEndpoint("::1", 7), "http://[::1]:7/sql");
    assert.equal(localFetchEndpoint("ep-x.eu.aws.neon.tech", ""), "https://api.eu.aws.neon.tech/sql");
    assert.equal(localFetchEndpoint("ep-x.neon.tech", "", { jwtAuth: true }), "https://apiauth.neon.tech/sql");
  });

  test("createLocalFetchEndpoint adds the token to local endpoints only", () => {
    const withToken = createLocalFetchEndpoint({ token: "a b&c" });
    assert.equal(withToken("localhost", "5555"), "http://localhost:5555/sql?token=a%20b%26c");
    assert.equal(withToken("::1", ""), "http://[::1]:4444/sql?token=a%20b%26c");
    assert.equal(withToken("ep-x.eu.aws.neon.tech", ""), "https://api.eu.aws.neon.tech/sql");
    assert.equal(createLocalFetchEndpoint({ token: null }), localFetchEndpoint);
    assert.throws(() => createLocalFetchEndpoint({ token: "" }), TypeError);
  });
});
