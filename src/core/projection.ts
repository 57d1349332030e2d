/**
 * Projection definitions: which events a read model handles and, for each, the `sql`
 * statements that update it. `project(store, projection)` (src/projections) feeds them events
 * in feed order; an inline projection is also run by the store inside each action's batch.
 * @module
 */
import type { SqlStatement } from "./executor.ts";
import type { StoredEvent } from "./stored-event.ts";
import { ProjectionHandlerError } from "./errors.ts";
import { projectionStatementSql } from "../sql/projection-statements.ts";
import type { SqlFragment } from "../sql/fragment.ts";
import { checkOptionKeys } from "./option-keys.ts";

/**
 * The event an inline projection's handler sees: the event being written, before it has a
 * position or a time (read them in SQL through {@link ProjectionContext}). Its `changes` lack
 * what the database computes (atomic `sql` results, stamped timestamps).
 */
export type PendingEvent = Omit<StoredEvent, "position" | "occurredAt">;

/** What a handler gets beside the event: its position and time as SQL, in both modes. */
export interface ProjectionContext {
  /** The event's position as an SQL expression (a parameter, or read in the write's own batch). */
  readonly position: SqlFragment;
  /** The event's `occurred_at` as an SQL expression (`timestamptz`). */
  readonly occurredAt: SqlFragment;
  /** Whether the handler runs inside the action's own batch (an inline projection's live write). */
  readonly inline: boolean;
}

/** What a handler returns: one statement, several (run in order), or none. */
export type ProjectionStatements = SqlFragment | readonly SqlFragment[] | undefined | void;

/** A handler: the statements that apply one event to the read model. Pure and synchronous. */
export type ProjectionHandler<TEvent extends PendingEvent = StoredEvent> = (
  event: TEvent,
  ctx: ProjectionContext,
) => ProjectionStatements;

/** What {@link defineProjection} takes. */
export interface ProjectionOptions<TInline extends boolean = false> {
  /** The projection's name: its checkpoint's key. Letters, digits, `_`, `-`, `.`, `:`; at most 100. */
  readonly name: string;
  /**
   * The events it handles, by `"resource.action"` (the action as written in the event; a
   * routed legacy action under its stored name). Other events pass unhandled.
   */
  readonly handles: Readonly<
    Record<string, ProjectionHandler<TInline extends true ? PendingEvent : StoredEvent>>
  >;
  /** The statements that empty the read model, for {@link rebuildProjection} (in the reset's batch). */
  readonly clear?: () => ProjectionStatements;
  /**
   * Also run inside each action's own write batch, when listed in the store's `projections`:
   * the read model never lags. Handlers then see a {@link PendingEvent}.
   */
  readonly inline?: TInline;
  /**
   * Follow every tenant's events (`project()` on a store without a tenant only). Default: the
   * store's tenant, as its `readFeed` does.
   */
  readonly allTenants?: boolean;
}

/** A validated projection definition. */
export interface Projection<TInline extends boolean = boolean> {
  /** Discriminator. */
  readonly kind: "projection";
  /** The projection's name: the key of its checkpoint. */
  readonly name: string;
  /** Whether it runs inline, in the action's own write batch. */
  readonly inline: TInline;
  /** Whether it follows every tenant's events (unscoped stores only). */
  readonly allTenants: boolean;
  /** The resources of the handled events (the feed reads only theirs). */
  readonly resources: readonly string[];
  /** Whether an event of `resource` and `action` is handled. */
  handles(resource: string, action: string): boolean;
  /**
   * The statements of one event (none when it is not handled): what `project()` and inline
   * writes send.
   * @throws {ProjectionHandlerError} code `PROJECTION_FAILED` when its handler throws or returns something other than `sql` fragments
   */
  statementsFor(event: PendingEvent & { readonly position?: bigint }, ctx: ProjectionContext): SqlStatement[];
  /** The statements of its `clear` option (none without one). */
  clearStatements(): SqlStatement[];
}

const KEYS = { name: true, handles: true, clear: true, inline: true, allTenants: true } as const satisfies Record<
  keyof ProjectionOptions,
  true
>;
const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const KEY = /^[^.\s]+\.[^.\s]+$/;

function toStatements(returned: ProjectionStatements): SqlStatement[] {
  if (returned === undefined) return [];
  const fragments: readonly SqlFragment[] = Array.isArray(returned) ? returned : [returned as SqlFragment];
  return fragments.map(projectionStatementSql);
}

/**
 * Define a projection: a read model kept in step with the log by `sql` statements per event.
 *
 * @returns a frozen definition for `project()`, `rebuildProjection()`, `projectionStatus()` and
 *   (when `inline`) the store's `projections` option
 * @throws {TypeError} on an unknown option, a bad name, a key that is not `"resource.action"`, a handler that is not a function
 * @example
 * ```ts
 * import { defineProjection, project, type ProjectionStore, sql } from "edge-events";
 *
 * const balances = defineProjection({
 *   name: "balances",
 *   handles: {
 *     "account.open": (e) => sql`INSERT INTO balances (id, total) VALUES (${e.recordId}, 0)`,
 *     "account.deposit": (e) => sql`UPDATE balances SET total = total + ${e.data.amount as number} WHERE id = ${e.recordId}`,
 *   },
 *   clear: () => sql`DELETE FROM balances`,
 * });
 * async function catchUp(store: ProjectionStore): Promise<void> {
 *   await project(store, balances);
 * }
 * ```
 */
export function defineProjection<const TInline extends boolean = false>(
  options: ProjectionOptions<TInline>,
): Projection<TInline> {
  checkOptionKeys(options, KEYS, "defineProjection()");
  const { name } = options;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError("Invalid projection name: 1 to 100 letters, digits, '_', '-', '.' or ':'");
  }
  const handlers = new Map<string, ProjectionHandler<PendingEvent>>();
  for (const [key, handler] of Object.entries(options.handles ?? {})) {
    if (!KEY.test(key)) throw new TypeError(`Projection ${name}: handles keys are "resource.action"`);
    if (typeof handler !== "function") {
      throw new TypeError(`Projection ${name}: the handler of ${key} is not a function`);
    }
    handlers.set(key, handler as ProjectionHandler<PendingEvent>);
  }
  if (handlers.size === 0) throw new TypeError(`Projection ${name} handles no event`);
  if (options.clear !== undefined && typeof options.clear !== "function") {
    throw new TypeError(`Projection ${name}: clear must be a function returning sql fragments`);
  }
  const clear = options.clear;
  const resources = Object.freeze([...new Set([...handlers.keys()].map((key) => key.split(".")[0]!))].sort());
  return Object.freeze({
    kind: "projection",
    name,
    inline: (options.inline ?? false) as TInline,
    allTenants: options.allTenants ?? false,
    resources,
    handles: (resource: string, action: string) => handlers.has(`${resource}.${action}`),
    statementsFor(event: PendingEvent & { readonly position?: bigint }, ctx: ProjectionContext): SqlStatement[] {
      const handler = handlers.get(`${event.resource}.${event.action}`);
      if (handler === undefined) return [];
      try {
        return toStatements(handler(event, ctx));
      } catch (cause) {
        throw new ProjectionHandlerError(name, event, { cause });
      }
    },
    clearStatements: () => (clear === undefined ? [] : toStatements(clear())),
  });
}
