/**
 * Parsing Postgres `timestamp` / `timestamptz` text output (DateStyle ISO) into `Date`.
 * @module
 */

const TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/;

/** The latest instant a `Date` can hold (+275760-09-13): what `infinity` decodes to. */
const MAX_TIME = 8.64e15;

/**
 * Parse a timestamp as Postgres prints it with `DateStyle = ISO`.
 *
 * - `2024-01-02 03:04:05.678901+00`, `+05:30`, `-03`, `+00:19:32`: the offset is applied.
 * - No offset (a `timestamp without time zone`): read as UTC, never as the host's local time,
 *   so every runtime decodes the same instant.
 * - Fractional seconds beyond milliseconds are truncated (`Date` holds milliseconds).
 * - `… BC` years become astronomical years (1 BC is year 0).
 * - `infinity` / `-infinity` become the latest / earliest `Date` (±8.64e15 ms), which still
 *   compare as expected; years a `Date` cannot hold give an invalid `Date`.
 *
 * @param text the timestamp text
 * @returns the instant
 * @throws {SyntaxError} when `text` is not an ISO timestamp
 * @example
 * ```ts
 * parseTimestamp("2024-01-02 03:04:05.678+05:30").toISOString() // => "2024-01-01T21:34:05.678Z"
 * ```
 */
export function parseTimestamp(text: string): Date {
  if (text === "infinity") return new Date(MAX_TIME);
  if (text === "-infinity") return new Date(-MAX_TIME);
  const match = TIMESTAMP.exec(text);
  if (match === null) throw new SyntaxError("Malformed Postgres timestamp");
  const [, year, month, day, hour, minute, second, fraction, sign, offsetH, offsetM, offsetS, bc] = match;
  const millis = Number((fraction ?? "").padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  const fullYear = bc === undefined ? Number(year) : 1 - Number(year);
  date.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), millis);
  if (sign === undefined) return date;
  const offsetSeconds = Number(offsetH) * 3600 + Number(offsetM ?? 0) * 60 + Number(offsetS ?? 0);
  return new Date(date.getTime() - (sign === "-" ? -1 : 1) * offsetSeconds * 1000);
}
