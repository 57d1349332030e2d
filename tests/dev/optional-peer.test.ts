// loadOptionalPeer: a missing optional package becomes a MissingPeerError that names it and the
// feature; any other failure (a broken package, a missing dependency of the package) is kept.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  isMissingPackage,
  loadOptionalPeer,
  MissingPeerError,
  type OptionalPeer,
} from "../../src/dev/optional-peer.ts";

// A package that is installed nowhere, under a name the test passes off as a peer.
const ABSENT = "edge-events-absent-peer-for-tests" as OptionalPeer;

describe("loadOptionalPeer()", () => {
  test("a package that is not installed is a MissingPeerError naming the package, the feature and the install command", async () => {
    const error = await loadOptionalPeer(ABSENT, "The thing", () => import(ABSENT as string)).then(
      () => assert.fail("the import should fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof MissingPeerError, String(error));
    assert.equal(error.packageName, ABSENT);
    assert.equal(error.feature, "The thing");
    assert.equal(
      error.message,
      `The thing needs the optional package ${ABSENT}, which is not installed: npm install ${ABSENT}`,
    );
    assert.ok(isMissingPackage(error.cause, ABSENT), "this runtime's own error is recognized");
  });

  test("an installed package loads", async () => {
    const mod = await loadOptionalPeer("pg", "The Postgres backend", () => import("pg"));
    assert.equal(typeof mod.default.Pool, "function");
  });

  test("an error that is not the package missing passes through unchanged", async () => {
    const broken = new Error("boom inside the package");
    await assert.rejects(loadOptionalPeer("pg", "x", () => Promise.reject(broken)), (e) => e === broken);
    const dependency = Object.assign(
      new Error("Cannot find package 'pg-protocol' imported from /x/node_modules/pg/lib/index.js"),
      {
        code: "ERR_MODULE_NOT_FOUND",
      },
    );
    await assert.rejects(loadOptionalPeer("pg", "x", () => Promise.reject(dependency)), (e) => e === dependency);
  });
});
