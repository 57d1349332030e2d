// What `edge-events replay` prints after a failure is chosen by the error's code, never by
// its message: the hint for a replay already running, the resume/skip/abort menu for an event
// that failed, nothing more for anything else.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EdgeEventsError, ReplayAlreadyRunningError, ReplayError } from "../../mod.ts";
import { printFailure } from "../../src/cli/replay-report.ts";
import { parseReplayFlags } from "../../src/cli/replay-flags.ts";

function printed(error: unknown): string[] {
  const lines: string[] = [];
  printFailure(
    { out: (line) => lines.push(`out: ${line}`), err: (line) => lines.push(line), env: {} },
    parseReplayFlags(["--config", "./c.ts"]),
    error,
  );
  return lines;
}

describe("printFailure (edge-events replay)", () => {
  test("a replay already running gets the continue-or-abort hint, whatever its message says", () => {
    const error = Object.assign(new ReplayAlreadyRunningError(), { message: "reworded" });
    assert.deepEqual(printed(error), [
      "edge-events replay: reworded",
      "Continue it with: edge-events replay --config ./c.ts --resume   or abort it with: --abort",
    ]);
  });

  test("an event that failed gets the resume, skip and abort commands", () => {
    const lines = printed(
      new ReplayError("Event at position 7 (item.rename v1) could not be applied: bad", { position: 7n, eventId: "e" }),
    );
    assert.equal(lines.length, 5);
    assert.match(lines[1]!, /checkpoint is saved/);
    assert.match(lines[3]!, /--resume --on-error skip$/);
  });

  test("a message that merely mentions another running replay gets no hint: codes decide, not messages", () => {
    for (
      const error of [
        new ReplayError("Another replay is running: resume or abort it first"),
        new EdgeEventsError("STORAGE_FAILURE", "another replay is running"),
        new Error("Another replay is running"),
      ]
    ) {
      assert.equal(printed(error).length, 1, String(error));
    }
  });
});
