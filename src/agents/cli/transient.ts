/**
 * Output patterns that mean the agent failed because the model server was unreachable or
 * overloaded, not because the task is impossible; such failures are worth retrying.
 */
const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE/,
  /connection (refused|reset)/i,
  /socket hang up/i,
  /fetch failed/i,
  /unable to connect/i,
  /\b(502|503|504) (Bad Gateway|Service Unavailable|Gateway Time-?out)/i,
  /model is loading|server (is )?overloaded|too many requests|rate limit/i,
  /\bstatus(?: code)?:? ?(429|502|503|504)\b/i,
];

/** True when the tail of an agent's output points at a transient network/server failure. */
export function looksTransient(output: string): boolean {
  // Only the end matters: an early retried hiccup followed by a real error is not transient.
  const end = output.slice(-4_000);
  return TRANSIENT_PATTERNS.some((re) => re.test(end));
}
