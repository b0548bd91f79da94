/** Requests in flight at once, without and with an audit log (audited ones are sent in windows of up to this many). */
export const CONCURRENCY = 8;
export const AUDITED_CONCURRENCY = 128;
