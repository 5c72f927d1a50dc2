import os from 'node:os';
import type { EventBus, TpEventName } from '../events/index.js';
import type { Store } from '../store/index.js';
import type { Component, LogHub } from './logger.js';

const COMPONENT: Partial<Record<TpEventName, Component>> = {
  'task.queued': 'watcher',
  'task.invalid': 'watcher',
  'task.claimed': 'watcher',
};

/** Periodic probes: logged, but an audit row per health check would only grow the database. */
const NOT_AUDITED: ReadonlySet<TpEventName> = new Set<TpEventName>(['host.healthy']);

/**
 * Who acted, for the audit chain, when the event says how it came: a CLI command is the user
 * running it; a webhook is the forge (its sender, when the payload names one as `actor`).
 * Undefined: the pipeline itself (`ticket-processor`).
 */
function actorOf(payload: unknown): string | undefined {
  const via = (payload as { via?: unknown }).via;
  if (via === 'webhook') return 'webhook';
  if (via !== 'cli') return undefined;
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Every lifecycle event becomes a structured log line and an audit row. Output chunks go to the log only at debug. */
export function attachEventLog(events: EventBus, logs: LogHub, store: Store): () => void {
  return events.onAny((name, payload) => {
    const component = COMPONENT[name] ?? 'processor';
    const log = logs.get(component);
    const fields = payload as unknown as Record<string, unknown>;
    if (name === 'attempt.output') {
      log.debug(fields, name);
      return;
    }
    const failed = name === 'task.failed' || name === 'task.invalid';
    if (failed) log.error(fields, name);
    else if (name === 'attempt.failed') log.warn(fields, name);
    else log.info(fields, name);
    const taskId = (payload as { taskId?: string }).taskId;
    if (!NOT_AUDITED.has(name)) {
      const explicit = (payload as { actor?: unknown }).actor;
      store.audit(name, taskId, payload, typeof explicit === 'string' ? explicit : actorOf(payload));
    }
  });
}
