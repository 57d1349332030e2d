/**
 * Fault injection for reliability tests: added latency, a 503 before execution, and a response
 * dropped after the commit. Off by default.
 * @module
 */

/**
 * A one-shot fault mode:
 * - `drop-after-commit`: execute and commit, then drop the connection without an answer;
 * - `drop-before-commit`: run every statement of a batch (taking its locks), roll back instead
 *   of committing, then drop the connection (a single query is not run at all);
 * - `reset-before-execution`: drop the connection without running anything;
 * - `fail-before-execution`: answer 503 without running anything.
 */
export type FaultMode = "drop-after-commit" | "drop-before-commit" | "reset-before-execution" | "fail-before-execution";

/** The modes whose connection is dropped without an answer. */
export const DROPPING_FAULTS: ReadonlySet<FaultMode> = new Set([
  "drop-after-commit",
  "drop-before-commit",
  "reset-before-execution",
]);

/** Faults that are on from the start (server options and CLI flags). */
export interface FaultOptions {
  /** Milliseconds to wait before executing each request. */
  readonly latencyMs?: number;
  /** Drop the response of the next N requests after they committed. */
  readonly dropAfterCommit?: number;
  /** Answer the next N requests with 503 without touching the database. */
  readonly failBeforeExecution?: number;
}

/** Which requests a one-shot fault applies to, and how often. */
export interface FaultRule {
  /** Test the parsed request body (`{ query, params }` or `{ queries }`); every request when absent. */
  readonly match?: (body: unknown) => boolean;
  /** How many matching requests get the fault; default 1. */
  readonly times?: number;
}

/** Programmatic control of the faults of one server. */
export interface FaultInjector {
  /** The latency currently added before each execution, in milliseconds. */
  readonly latencyMs: number;
  /** Set continuous faults (only latency today); omitted keys keep their value. */
  set(options: { readonly latencyMs?: number }): void;
  /** Arm a one-shot fault for the next matching request(s). */
  once(mode: FaultMode, rule?: FaultRule): void;
  /** Remove every fault: latency back to 0 and all armed one-shot faults dropped. */
  clear(): void;
}

/** The faults picked for one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly mode: FaultMode | null;
}

/** A {@link FaultInjector} plus the server-side call that consumes armed faults. */
export interface FaultController extends FaultInjector {
  /**
   * Decide the faults of one request, consuming the first matching armed fault.
   *
   * @param body the parsed request body
   * @returns the latency and the one-shot mode to apply
   */
  take(body: unknown): FaultDecision;
}

interface Armed {
  readonly mode: FaultMode;
  readonly match: ((body: unknown) => boolean) | undefined;
  remaining: number;
}

function checkCount(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be a finite number ≥ 0`);
  return value;
}

/**
 * Create the fault state of one server.
 *
 * @param options faults on from the start
 * @returns the controller
 * @throws {RangeError} for negative or non-finite numbers
 * @example
 * ```ts
 * const faults = createFaultController();
 * faults.once("drop-after-commit", { match: (body) => JSON.stringify(body).includes("INSERT") });
 * ```
 */
export function createFaultController(options: FaultOptions = {}): FaultController {
  let latencyMs = checkCount(options.latencyMs ?? 0, "latencyMs");
  let armed: Armed[] = [];
  const arm = (mode: FaultMode, rule: FaultRule = {}): void => {
    const remaining = checkCount(rule.times ?? 1, "times");
    if (remaining > 0) armed.push({ mode, match: rule.match, remaining });
  };
  if (options.dropAfterCommit) arm("drop-after-commit", { times: options.dropAfterCommit });
  if (options.failBeforeExecution) arm("fail-before-execution", { times: options.failBeforeExecution });

  return {
    get latencyMs() {
      return latencyMs;
    },
    set(next) {
      if (next.latencyMs !== undefined) latencyMs = checkCount(next.latencyMs, "latencyMs");
    },
    once: arm,
    clear() {
      latencyMs = 0;
      armed = [];
    },
    take(body) {
      const hit = armed.find((fault) => fault.match === undefined || fault.match(body));
      if (hit !== undefined && --hit.remaining <= 0) armed = armed.filter((fault) => fault !== hit);
      return { latencyMs, mode: hit?.mode ?? null };
    },
  };
}

/**
 * Thrown by the handler when an injected fault says the response must never arrive. The
 * socket server destroys the connection; called in-process, the rejection reads as a network
 * error.
 */
export class DroppedResponseError extends Error {
  constructor() {
    super("Injected fault: the response was dropped after the commit");
    this.name = "DroppedResponseError";
  }
}
