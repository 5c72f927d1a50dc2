/*
 * How the page shows numbers. The client script (assets/client-js.ts) formats the numbers it
 * receives live the same way; keep the two in step (the Chromium test compares them with
 * `/api/stats` through these functions).
 */

/** `&`, `<`, `>`, `"` and `'` as entities: safe in element text and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** A rate 0..1 as a percentage with one decimal: `87.5%`. */
export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** Milliseconds as `850 ms`, `12.3 s`, `4m 05s`; `-` when unknown. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** A count with thousands separators (`12,345`), fixed to en-US so server and client agree. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
