/**
 * `edge-events serve`, run in-process through `main()`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { neon } from "@neondatabase/serverless";
import { main } from "../../src/cli/main.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { DATABASE, DATABASE_URL, withNeonConfig } from "./harness.ts";

function capture(signal?: AbortSignal): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, ...(signal && { signal }) };
  return { io, out, err };
}

describe("the edge-events serve command", () => {
  test("serve prints the endpoint to paste, answers the driver and stops on its signal", async () => {
    const stop = new AbortController();
    const { io, out } = capture(stop.signal);
    const running = main(["serve", "--port", "0", "--database-url", DATABASE_URL, "--latency-ms", "1"], io);
    let endpoint: string | undefined;
    for (let i = 0; i < 200 && endpoint === undefined; i++) {
      endpoint = out.join("\n").match(/fetchEndpoint = "(http:\/\/[^"]+)"/)?.[1];
      if (endpoint === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(endpoint, out.join("\n"));
    assert.equal(out.join("\n").includes("postgres://postgres@"), false, "the upstream URL is never printed");
    const sql = neon(`postgres://postgres:pw@localhost/${encodeURIComponent(DATABASE)}`);
    const rows = await withNeonConfig({ fetchEndpoint: endpoint }, () => sql`SELECT 2 AS two`);
    assert.deepStrictEqual(rows, [{ two: 2 }]);
    stop.abort();
    assert.equal(await running, 0);
  });

  test("unknown commands and options are usage errors with exit code 2", async () => {
    const unknown = capture();
    assert.equal(await main(["nope"], unknown.io), 2);
    assert.match(unknown.err.join("\n"), /unknown command "nope"/);
    const badFlag = capture();
    assert.equal(await main(["serve", "--pglite", "--database-url", "postgres://x@y/z"], badFlag.io), 2);
    assert.match(badFlag.err.join("\n"), /either --database-url or --pglite/);
    const help = capture();
    assert.equal(await main(["serve", "--help"], help.io), 0);
    assert.match(help.out.join("\n"), /--drop-after-commit N/);
  });
});
