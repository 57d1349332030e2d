/**
 * The upstream connections of the pg backend: one pool for all keys (role, password, database,
 * `application_name`, `options`) with a global cap on open connections. A request whose key has
 * no idle connection opens one while under the cap, else closes the least recently used idle
 * connection of another key, else waits (first come, first served). Idle connections close after
 * a timeout, and a key is forgotten with its last connection, so memory stays flat however many
 * distinct keys arrive.
 * @module
 */

/** Counts of the pool, for tests and diagnostics. */
export interface ConnectionStats {
  /** Open connections (idle, lent, or being opened). At most the cap. */
  open: number;
  /** Of those, idle ones. */
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** Keys the pool keeps any state for (a connection or a waiting request). */
  keys: number;
}

/** What the pool needs to know about one connection kind. */
export interface ConnectionPoolOptions<C> {
  /** The global cap on open connections (≥ 1). */
  readonly maxConnections: number;
  /** Idle connections close after this many milliseconds (checked by a timer, unref'd). */
  readonly idleTimeoutMs: number;
  /** Close a connection (errors are ignored). */
  readonly close: (connection: C) => Promise<void>;
  /** The clock, for tests. */
  readonly now?: () => number;
}

interface Idle<C> {
  readonly key: string;
  readonly connection: C;
  readonly since: number;
}

interface Waiter<C> {
  readonly key: string;
  readonly open: () => Promise<C>;
  readonly resolve: (connection: C) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** A keyed connection pool with one global cap. */
export class ConnectionPool<C> {
  readonly #options: ConnectionPoolOptions<C>;
  readonly #now: () => number;
  /** Idle connections, least recently used first. */
  #idle: Idle<C>[] = [];
  #waiting: Waiter<C>[] = [];
  /** Open connections per key (idle, lent, or being opened). */
  readonly #openPerKey = new Map<string, number>();
  #open = 0;
  #closed = false;
  /** Connections being closed, and the wake-up of {@link close} once none is open. */
  readonly #closing = new Set<Promise<void>>();
  #drained: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param options the cap, the idle timeout and how to close a connection
   * @throws {RangeError} when the cap is not a whole number ≥ 1 or the timeout is negative
   */
  constructor(options: ConnectionPoolOptions<C>) {
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) {
      throw new RangeError("maxConnections must be a whole number ≥ 1");
    }
    if (Number.isNaN(options.idleTimeoutMs) || options.idleTimeoutMs < 0) {
      throw new RangeError("idleTimeoutMs must be a number ≥ 0");
    }
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The current counts. */
  stats(): ConnectionStats {
    const keys = new Set<string>(this.#openPerKey.keys());
    for (const waiter of this.#waiting) keys.add(waiter.key);
    return { open: this.#open, idle: this.#idle.length, waiting: this.#waiting.length, keys: keys.size };
  }

  /**
   * Lend a connection for `key`: an idle one of that key, or a new one from `open`.
   *
   * @param key the pool key
   * @param open opens a new connection for that key
   * @param signal gives up waiting when it aborts
   * @returns the connection; give it back with {@link release}
   * @throws what `open` throws; the signal's reason when it aborts while waiting
   */
  acquire(key: string, open: () => Promise<C>, signal?: AbortSignal): Promise<C> {
    if (this.#closed) return Promise.reject(new Error("the connection pool is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<C>((resolve, reject) => {
      const waiter: Waiter<C> = {
        key,
        open,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiting.indexOf(waiter);
          if (index !== -1) (this.#waiting.splice(index, 1), reject(signal?.reason));
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#dispatch();
    });
  }

  /**
   * Give a lent connection back: kept idle when `reusable`, else closed.
   *
   * @param key the key it was lent for
   * @param connection the connection
   * @param reusable false for a connection that is broken or not idle
   */
  release(key: string, connection: C, reusable: boolean): void {
    if (reusable && !this.#closed) {
      this.#idle.push({ key, connection, since: this.#now() });
      this.#startTimer();
    } else {
      this.#forget(key, connection);
    }
    this.#dispatch();
  }

  /**
   * Drop an idle connection that died while idle (it is closed, and its slot freed).
   *
   * @param connection the connection
   */
  discardIdle(connection: C): void {
    const index = this.#idle.findIndex((entry) => entry.connection === connection);
    if (index === -1) return;
    const [entry] = this.#idle.splice(index, 1) as [Idle<C>];
    this.#forget(entry.key, entry.connection);
    this.#dispatch();
  }

  /**
   * Close the idle connections that have been idle for at least `olderThanMs` (all of them by
   * default). The timer calls it with the idle timeout.
   *
   * @param olderThanMs the minimum idle time
   * @returns how many were closed
   */
  closeIdle(olderThanMs = 0): number {
    const limit = this.#now() - olderThanMs;
    const expired = this.#idle.filter((entry) => entry.since <= limit);
    if (expired.length === 0) return 0;
    this.#idle = this.#idle.filter((entry) => entry.since > limit);
    for (const entry of expired) this.#forget(entry.key, entry.connection);
    if (this.#idle.length === 0) this.#stopTimer();
    this.#dispatch();
    return expired.length;
  }

  /**
   * Refuse new requests, fail the waiting ones, close the idle connections, and close the lent
   * ones as they come back.
   *
   * @returns once every connection is closed
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopTimer();
    for (const waiter of this.#waiting.splice(0)) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new Error("the connection pool is closed"));
    }
    for (const entry of this.#idle.splice(0)) this.#forget(entry.key, entry.connection);
    if (this.#open > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all(this.#closing);
  }

  #forget(key: string, connection: C): void {
    this.#uncount(key);
    const closing = this.#options.close(connection).catch(() => {});
    this.#closing.add(closing);
    void closing.then(() => this.#closing.delete(closing));
  }

  #uncount(key: string): void {
    this.#open--;
    const left = (this.#openPerKey.get(key) ?? 1) - 1;
    if (left === 0) this.#openPerKey.delete(key);
    else this.#openPerKey.set(key, left);
    if (this.#open === 0) this.#drained?.();
  }

  /** Serve the waiting requests in order while a connection can be found for the first one. */
  #dispatch(): void {
    while (this.#waiting.length > 0 && !this.#closed) {
      const waiter = this.#waiting[0] as Waiter<C>;
      const own = this.#idle.findIndex((entry) => entry.key === waiter.key);
      if (own !== -1) {
        const [entry] = this.#idle.splice(own, 1) as [Idle<C>];
        this.#lend(waiter);
        waiter.resolve(entry.connection);
        continue;
      }
      if (this.#open >= this.#options.maxConnections) {
        const victim = this.#idle.shift(); // the least recently used idle connection
        if (victim === undefined) return; // all lent: wait for a release
        this.#forget(victim.key, victim.connection);
      }
      this.#lend(waiter);
      this.#open++;
      this.#openPerKey.set(waiter.key, (this.#openPerKey.get(waiter.key) ?? 0) + 1);
      waiter.open().then(waiter.resolve, (error: unknown) => {
        this.#uncount(waiter.key);
        waiter.reject(error);
        this.#dispatch();
      });
    }
    if (this.#idle.length === 0) this.#stopTimer();
  }

  #lend(waiter: Waiter<C>): void {
    this.#waiting.shift();
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#options.idleTimeoutMs === Infinity) return;
    const every = Math.max(10, Math.min(this.#options.idleTimeoutMs, 10_000));
    this.#timer = setInterval(() => this.closeIdle(this.#options.idleTimeoutMs), every);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
