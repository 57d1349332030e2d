// Flags of `edge-events replay`: values, and the combinations that are refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseReplayFlags } from "../../src/cli/replay-flags.ts";

test("parseReplayFlags() reads every option", () => {
  assert.deepEqual(
    parseReplayFlags([
      "--config",
      "c.ts",
      "--until-time",
      "2025-01-31T23:59:59Z",
      "--tenant",
      "t1",
      "--page-size",
      "1000",
      "--on-error",
      "skip",
      "--dry-run",
    ]),
    {
      config: "c.ts",
      resume: false,
      abort: false,
      dryRun: true,
      untilTime: new Date("2025-01-31T23:59:59Z"),
      tenant: "t1",
      pageSize: 1000,
      onError: "skip",
    },
  );
  assert.deepEqual(parseReplayFlags(["--config", "c.ts", "--resume"]), {
    config: "c.ts",
    resume: true,
    abort: false,
    dryRun: false,
  });
  assert.equal(
    parseReplayFlags(["--config", "c.ts", "--until-event", "01J0000000000000000000000"]).untilEventId,
    "01J0000000000000000000000",
  );
});

test("parseReplayFlags() refuses bad values and contradictions with a TypeError", () => {
  const refused: [string[], RegExp][] = [
    [[], /--config is required/],
    [["--config"], /--config needs a value/],
    [["--config", "c.ts", "--page-size", "0"], /1 to 10000/],
    [["--config", "c.ts", "--page-size", "2.5"], /1 to 10000/],
    [["--config", "c.ts", "--on-error", "retry"], /stop or skip/],
    [["--config", "c.ts", "--until-time", "yesterday"], /ISO 8601/],
    [
      ["--config", "c.ts", "--until-time", "2025-02-30T00:00:00Z", "--until-event", "x"],
      /either --until-event or --until-time/,
    ],
    [["--config", "c.ts", "--resume", "--tenant", "t"], /--resume keeps the scope/],
    [["--config", "c.ts", "--resume", "--dry-run"], /either --resume or --dry-run/],
    [["--config", "c.ts", "--abort", "--page-size", "5"], /--abort takes no other option/],
    [["--config", "c.ts", "--verbose"], /unknown option --verbose/],
  ];
  for (const [args, message] of refused) {
    assert.throws(() => parseReplayFlags(args), { name: "TypeError", message }, args.join(" "));
  }
});
