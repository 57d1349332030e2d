/**
 * Replay progress on the console: a bar redrawn in place on a terminal, plain lines otherwise.
 * @module
 */
import process from "node:process";
import type { ReplayProgress } from "../replay/replay-types.ts";
import { formatCount, formatDuration, formatRate } from "./format-units.ts";

/** Where the bar is drawn. */
export interface Terminal {
  /** Whether output goes to a terminal (the bar), or to a pipe or file (lines). */
  readonly isTTY: boolean;
  /** The terminal's width. */
  readonly columns: number;
  /** Write text as is (no newline added). */
  write(text: string): void;
}

/**
 * The process's standard output as a {@link Terminal}.
 *
 * @returns the terminal
 */
export function processTerminal(): Terminal {
  return {
    isTTY: process.stdout.isTTY === true,
    get columns() {
      return process.stdout.columns || 80; // 0 when the terminal reports no size
    },
    write: (text) => void process.stdout.write(text),
  };
}

/** What {@link createProgressDisplay} takes. */
export interface ProgressDisplayOptions {
  readonly terminal: Terminal;
  /** Prints one line (used when the output is not a terminal). */
  readonly line: (text: string) => void;
  /** Events processed before this call (a resumed replay's earlier work), for the rate. */
  readonly baseline: number;
  /** False when progress carries no remaining count (dry runs): no percentage or ETA. */
  readonly knownTotal: boolean;
  /** The clock, in milliseconds. */
  readonly now?: () => number;
}

/** A progress display. */
export interface ProgressDisplay {
  /** Take new progress; draws at most ~10 times a second (a line at most once a second). */
  update(progress: ReplayProgress): void;
  /** Print a line without tearing the bar. */
  note(text: string): void;
  /** Draw the last progress and leave the bar on its own line. */
  finish(): void;
}

const CLEAR_LINE = "\r\x1b[K";

function describe(p: ReplayProgress, baseline: number, knownTotal: boolean): { percent: number; text: string } {
  const processed = p.applied + p.skipped;
  const rate = ((processed - baseline) * 1000) / Math.max(p.elapsedMs, 1);
  const skipped = p.skipped > 0 ? ` · ${formatCount(p.skipped)} skipped` : "";
  if (!knownTotal) {
    return {
      percent: -1,
      text: `${formatCount(processed)} events · ${formatRate(processed - baseline, p.elapsedMs)} events/s${skipped}`,
    };
  }
  const total = processed + p.remaining;
  const percent = total === 0 ? 100 : Math.floor((processed / total) * 100);
  const eta = p.remaining === 0 ? "0 s" : rate > 0 ? formatDuration((p.remaining / rate) * 1000) : "-";
  return {
    percent,
    text: `${formatCount(processed)}/${formatCount(total)} events · ${
      formatRate(processed - baseline, p.elapsedMs)
    } events/s · ETA ${eta}${skipped}`,
  };
}

function bar(percent: number, width: number): string {
  const filled = Math.round((Math.min(percent, 100) / 100) * width);
  return `[${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(0, width - filled - 1))}]`;
}

/**
 * Create the display: a bar with events applied/total, events/s and ETA on a terminal,
 * redrawn in place; a `progress:` line per second otherwise.
 *
 * @param options terminal, line printer, baseline and clock
 * @returns the display
 * @example
 * ```ts
 * import { replay, type ReplayStore } from "edge-events";
 *
 * async function replayWithBar(store: ReplayStore): Promise<void> {
 *   const display = createProgressDisplay({ terminal: processTerminal(), line: console.log, baseline: 0, knownTotal: true });
 *   await replay(store, { onProgress: (p) => display.update(p) });
 *   display.finish();
 * }
 * ```
 */
export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const { terminal, line, baseline, knownTotal } = options;
  const now = options.now ?? (() => Date.now());
  const interval = terminal.isTTY ? 100 : 1000;
  let last: ReplayProgress | undefined;
  let lastDrawAt = Number.NEGATIVE_INFINITY;
  let shown = false; // whether `last` is on screen
  let barOnScreen = false;

  const draw = (p: ReplayProgress): void => {
    const { percent, text } = describe(p, baseline, knownTotal);
    shown = true;
    if (!terminal.isTTY) return line(`progress: ${percent >= 0 ? `${percent}% ` : ""}${text}`);
    const room = terminal.columns - 1;
    const head = percent >= 0 ? `${String(percent).padStart(3)}% ` : "";
    const barWidth = Math.min(30, room - head.length - text.length - 3);
    const full = percent >= 0 && barWidth >= 10 ? `${bar(percent, barWidth)} ${head}${text}` : `${head}${text}`;
    terminal.write(`${CLEAR_LINE}${full.slice(0, Math.max(room, 1))}`);
    barOnScreen = true;
  };

  return {
    update(p) {
      last = p;
      shown = false;
      const t = now();
      if (t - lastDrawAt < interval) return;
      lastDrawAt = t;
      draw(p);
    },
    note(text) {
      if (!barOnScreen) return line(text);
      terminal.write(`${CLEAR_LINE}${text}\n`);
      barOnScreen = false;
      if (last !== undefined) draw(last);
    },
    finish() {
      if (last !== undefined && (!shown || terminal.isTTY)) draw(last);
      if (barOnScreen) terminal.write("\n");
      barOnScreen = false;
    },
  };
}
