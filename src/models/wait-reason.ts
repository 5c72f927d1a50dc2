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
