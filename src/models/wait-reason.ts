import { TpError } from '../errors/index.js';
import type { Host } from './host.js';
import { stripProvider } from './names.js';

/**
 * One line saying why calls for `model` cannot run now, e.g.
 * "all hosts for deepseek-coder are OPEN; next probe in 12s".
 */
export function describeWait(model: string, hosts: readonly Host[]): string {
  const name = stripProvider(model);
  if (hosts.length === 0) return `no host serves ${name}`;
  const states = hosts.map((h) => h.breaker.state);
  const open = hosts.filter((h) => h.breaker.state === 'OPEN');
  const nextMs = open.length ? Math.min(...open.map((h) => h.breaker.msUntilHalfOpen)) : undefined;
  const next = nextMs === undefined ? '' : `; next probe in ${Math.ceil(nextMs / 1000)}s`;
  if (states.every((s) => s === 'OPEN')) return `all hosts for ${name} are OPEN${next}`;
  const detail = hosts
    .map((h) => `${h.url} ${h.breaker.state}${h.breaker.state === 'HALF_OPEN' ? ' (probe in flight)' : ''}`)
    .join(', ');
  return `no host for ${name} admits calls (${detail})${next}`;
}

/** The error for a wait ended by `signal`. */
export function abortReason(signal: AbortSignal): TpError {
  if (TpError.isInstance(signal.reason)) return signal.reason;
  return new TpError('Cancelled while waiting for an Ollama host', {
    code: 'ABORTED',
    retryable: true,
    cause: signal.reason,
  });
}

/** Resolves when any candidate's breaker changes or `deadline` passes; rejects on abort. */
export function waitForChange(
  hosts: Host[],
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const offs = hosts.map((h) => h.breaker.onChange(done));
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    const onAbort = () => {
      cleanup();
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    function cleanup() {
      clearTimeout(timer);
      for (const off of offs) off();
      signal?.removeEventListener('abort', onAbort);
    }
    function done() {
      cleanup();
      resolve();
    }
  });
}
