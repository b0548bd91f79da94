/**
 * An http(s) URL the user gives (a flag, a variable, a suite's base_url), checked the way Node will
 * open it: `new URL` decides, so a port over 65535 or an unclosed IPv6 bracket is refused up front
 * instead of surfacing later as a TypeError from a request. Knows nothing of commands.
 */

/** Longest part of a bad value echoed in a message; the rest is cut and its length said. */
const MAX_ECHO = 60;

/** A non-secret value for a message: on one line, cut with its length when long. */
export function echoValue(value: string): string {
  const oneLine = value.replace(/\r?\n/g, '\\n');
  return oneLine.length > MAX_ECHO ? `"${oneLine.slice(0, MAX_ECHO - 3)}..." (${value.length} characters)` : `"${oneLine}"`;
}

/** What the user should be told about the usual mistakes, in one parenthesis. */
export const URL_RULES = 'a port is 1-65535, an IPv6 host is written [::1]';

/** Whether `value` is an http(s) URL with a host that Node can open. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
