/** Timestamp spellings of the native formats (all UTC). */
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `20231116` */
export function yyyymmdd(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

/** Bitbucket access log: `2023-11-22 14:50:12,345` (server local time; the simulated servers run on UTC). */
export function accessLogTime(t: number): string {
  const d = new Date(t);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** Jira Cloud audit `created`: `2023-11-16T14:36:12.345+0000` */
export function jiraCloudTime(t: number): string {
  return new Date(t).toISOString().replace('Z', '+0000');
}

/** ISO 8601 with milliseconds and `Z`. */
export const iso = (t: number): string => new Date(t).toISOString();
