/**
 * Counts, rates and durations as the CLI prints them.
 * @module
 */

/**
 * A count with thousands separators.
 *
 * @param n the count
 * @returns e.g. `"100,000"`
 * @example
 * ```ts
 * formatCount(12345) // => "12,345"
 * ```
 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * Events per second from a count and a duration.
 *
 * @param events how many events
 * @param ms in how many milliseconds
 * @returns e.g. `"8,130"`, or `"-"` when no time has passed
 * @example
 * ```ts
 * formatRate(1000, 500) // => "2,000"
 * ```
 */
export function formatRate(events: number, ms: number): string {
  return ms > 0 ? formatCount((events * 1000) / ms) : "-";
}

/**
 * A duration for people: milliseconds, seconds, or minutes and seconds, or hours and minutes.
 *
 * @param ms the duration in milliseconds
 * @returns e.g. `"850 ms"`, `"12.3 s"`, `"4 min 05 s"`, `"1 h 02 min"`
 * @example
 * ```ts
 * formatDuration(245_000) // => "4 min 05 s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}
