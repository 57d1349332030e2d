// The count automatic savepoints send in a write batch (src/sql/savepoint-statements.ts):
// exact text and params; every value a parameter.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { savepointDueSql } from "../../src/sql/savepoint-statements.ts";

const log = defineEventLog({ table: "audit.events" });

describe("savepointDueSql()", () => {
  test("counts the record's events after its newest savepoint of the fold version, up to the limit", () => {
    const s = savepointDueSql(
      log,
      { resource: "note'; --", sources: ["note'; --", "old"], eventId: "e' OR 1=1" },
      "f1-x",
      50,
    );
    assert.deepEqual({ ...s }, {
      text: `SELECT count(*)::int AS "__ee_since_savepoint" FROM (SELECT 1 FROM (SELECT "record_id", "tenant" ` +
        `FROM "audit"."events" WHERE "id" = $1::text) AS r JOIN "audit"."events" AS e ON e."record_id" = ` +
        `r."record_id" AND e."tenant" IS NOT DISTINCT FROM r."tenant" AND e."resource" = ANY($4::text[]) AND ` +
        `e."position" > coalesce((SELECT max(s."position") FROM "audit"."events_savepoints" AS s WHERE ` +
        `s."resource" = $2::text AND s."record_id" = r."record_id" AND s."tenant" IS NOT DISTINCT FROM ` +
        `r."tenant" AND s."fold_version" = $3::text), 0) LIMIT $5::bigint) AS c`,
      params: ["e' OR 1=1", "note'; --", "f1-x", ["note'; --", "old"], 50],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });
});
