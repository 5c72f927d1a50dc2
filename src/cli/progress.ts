import type { EventBus } from '../events/index.js';
import type { CliIo } from './context.js';

const ANSI = { green: 32, red: 31, yellow: 33, dim: 2 } as const;
type Colour = keyof typeof ANSI;

/**
 * Whether progress lines get colour: `logging.colorize`, a terminal, and no `NO_COLOR`
 * (the informal standard every colouring CLI honours); `FORCE_COLOR` wins for CI logs.
 */
export function useColour(colorize: boolean, io: Pick<CliIo, 'env' | 'isTty'>): boolean {
  if (!colorize) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  if (io.env.NO_COLOR) return false;
  return io.isTty;
}

/** Readable progress lines: one per stage change, with elapsed time. Output chunks stay in the logs. */
export function attachProgress(events: EventBus, io: CliIo, options: { colour?: boolean } = {}): () => void {
  const paint = (colour: Colour, text: string) =>
    options.colour ? `\u001b[${ANSI[colour]}m${text}\u001b[0m` : text;
  const offs = [
    events.on('task.queued', (e) =>
      io.out(
        `task ${e.taskId}: queued (${e.priority}${e.waitingFor.length ? `, after ${e.waitingFor.join(', ')}` : ''})`,
      ),
    ),
    events.on('task.invalid', (e) => io.out(`task ${e.taskId}: invalid → failed/ (${e.error})`)),
    events.on('task.claimed', (e) => io.out(`task ${e.taskId}: claimed (${e.file})`)),
    events.on('task.recovered', (e) => io.out(`task ${e.taskId}: ${e.action} after restart`)),
    events.on('task.stage', (e) =>
      io.out(`task ${e.taskId}: ${e.stage} (${(e.elapsedMs / 1000).toFixed(1)}s)`),
    ),
    events.on('attempt.failed', (e) =>
      io.out(
        paint(
          'yellow',
          `task ${e.taskId}: attempt ${e.attemptNumber} with ${e.model} failed: ${e.code}${e.retryable ? ' (will retry)' : ''}`,
        ),
      ),
    ),
    events.on('task.published', (e) =>
      io.out(
        paint(
          'green',
          `task ${e.taskId}: ✔ ${e.prUrl ? `PR ${e.prUrl} on branch ${e.branch}` : `branch ${e.branch} pushed (git.createPR is false)`} → review/ (${(e.elapsedMs / 1000).toFixed(1)}s)`,
        ),
      ),
    ),
    events.on('task.failed', (e) => io.out(paint('red', `task ${e.taskId}: ✘ failed: ${e.error} → failed/`))),
    events.on('task.completed', (e) => io.out(paint('green', `task ${e.taskId}: completed (PR merged)`))),
  ];
  return () => {
    for (const off of offs) off();
  };
}
