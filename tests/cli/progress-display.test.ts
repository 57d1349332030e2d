// The replay progress display: a bar redrawn in place on a terminal, throttled; lines otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProgressDisplay, type Terminal } from "../../src/cli/progress-display.ts";
import type { ReplayProgress } from "../../src/replay/replay-types.ts";

function progress(applied: number, remaining: number, elapsedMs: number, skipped = 0): ReplayProgress {
  return {
    replayId: "r",
    applied,
    skipped,
    routed: 0,
    lastPosition: BigInt(applied + skipped),
    targetPosition: 0n,
    remaining,
    elapsedMs,
  };
}

function fakeTerminal(isTTY: boolean): Terminal & { written: string } {
  return {
    isTTY,
    columns: 100,
    written: "",
    write(text) {
      this.written += text;
    },
  };
}

test("on a terminal the bar shows applied/total, events/s and ETA, redrawn in place at most every 100 ms", () => {
  const terminal = fakeTerminal(true);
  let clock = 0;
  const lines: string[] = [];
  const display = createProgressDisplay({
    terminal,
    line: (l) => lines.push(l),
    baseline: 0,
    knownTotal: true,
    now: () => clock,
  });
  display.update(progress(500, 1500, 1000));
  clock = 50;
  display.update(progress(1000, 1000, 1050)); // throttled
  assert.equal(terminal.written.split("\r\x1b[K").length - 1, 1);
  // The terminal escape (and the two spaces the bar prints) are what is checked.
  // deno-lint-ignore no-control-regex no-regex-spaces
  assert.match(terminal.written, /^\r\x1b\[K\[=+> *\]  25% 500\/2,000 events · 500 events\/s · ETA 3\.0 s$/);
  clock = 200;
  display.update(progress(2000, 0, 2000));
  display.finish();
  assert.match(terminal.written, /\[=+\] 100% 2,000\/2,000 events · 1,000 events\/s · ETA 0 s\n$/);
  // The terminal escape is what is checked.
  // deno-lint-ignore no-control-regex
  assert.ok(terminal.written.split(/\r\x1b\[K|\n/).every((drawn) => drawn.length <= 99), "fits the terminal's width");
  assert.deepEqual(lines, []);
});

test("a note clears the bar, prints its line, and redraws the bar", () => {
  const terminal = fakeTerminal(true);
  const display = createProgressDisplay({
    terminal,
    line: () => undefined,
    baseline: 0,
    knownTotal: true,
    now: () => 0,
  });
  display.update(progress(10, 90, 100));
  display.note("Stopping");
  // The terminal escape is what is checked.
  // deno-lint-ignore no-control-regex
  assert.match(terminal.written, /\r\x1b\[KStopping\n\r\x1b\[K\[/);
});

test("off a terminal it prints a progress line at most once a second, and the last one at the end", () => {
  const terminal = fakeTerminal(false);
  let clock = 0;
  const lines: string[] = [];
  const display = createProgressDisplay({
    terminal,
    line: (l) => lines.push(l),
    baseline: 100,
    knownTotal: true,
    now: () => clock,
  });
  display.update(progress(200, 800, 1000, 5));
  clock = 500;
  display.update(progress(300, 700, 1500));
  display.finish();
  assert.equal(terminal.written, "");
  assert.deepEqual(lines, [
    "progress: 20% 205/1,005 events · 105 events/s · ETA 7.6 s · 5 skipped",
    "progress: 30% 300/1,000 events · 133 events/s · ETA 5.3 s",
  ]);
});

test("without a known total (dry runs) it shows counts and rate only", () => {
  const lines: string[] = [];
  const display = createProgressDisplay({
    terminal: fakeTerminal(false),
    line: (l) => lines.push(l),
    baseline: 0,
    knownTotal: false,
    now: () => 0,
  });
  display.update(progress(1500, 0, 500));
  assert.deepEqual(lines, ["progress: 1,500 events · 3,000 events/s"]);
});
