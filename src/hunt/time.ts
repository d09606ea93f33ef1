import { DateTime } from 'luxon';
import { parseDuration, DURATION_RE } from '../rules/schema';

/**
 * Parses a `--since` / `--until` value to epoch ms: ISO 8601 (`2023-11-14`, `2023-11-14T10:00:00Z`), read
 * in `zone` when it carries no offset, or a relative duration (`7d`, `12h`, `30m`) meaning that long
 * before `now`. Throws naming the text when it is neither.
 */
export function parseTimeArg(text: string, now: number = Date.now(), zone = 'UTC'): number {
  const t = text.trim();
  if (DURATION_RE.test(t)) return now - parseDuration(t);
  const dt = DateTime.fromISO(t, { zone, setZone: true });
  if (!dt.isValid) {
    throw new Error(
      `not a time: ${JSON.stringify(text)} (expected ISO 8601 such as 2023-11-14T10:00:00Z, or a relative duration such as 7d or 12h)`,
    );
  }
  return dt.toMillis();
}
