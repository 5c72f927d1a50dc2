import type { NotificationEventName } from '../config/index.js';
import { redact, redactLikelySecrets } from '../secrets/index.js';
import type { Message, MessageLine, NotificationItem } from './types.js';

/*
 * Composition of a batch into a channel-neutral message: what happened, to which task, and what
 * to do next. Everything from outside (error messages, file names, reasons) is cleaned here:
 * secrets redacted, made one line, bounded. Escaping for a format is the renderer's job.
 */

const MAX_FIELD = 400;

/** Redacts known and likely secrets, folds whitespace (a reason must not fake extra lines), bounds the length. */
export function clean(text: string | undefined, secrets: readonly string[]): string {
  if (text === undefined) return '';
  const flat = redactLikelySecrets(redact(text, secrets))
    .replace(/[\s\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  return flat.length > MAX_FIELD ? `${flat.slice(0, MAX_FIELD - 1)}…` : flat;
}

/** Slack mrkdwn: `&`, `<` and `>` are the control characters (links, mentions like `<!channel>`). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

// Emails are HTML too: the dashboard's escaper (entities for & < > " ') serves both.
export { escapeHtml } from '../dashboard/format.js';

const retryHint = (id: string) =>
  `Read failed/ (the task's .error.log), fix the cause, then run \`ticket-processor retry-failed --task-id ${id}\`.`;

const NEXT: Record<NotificationEventName, string> = {
  'task.failed': 'Each failed task has a .error.log and .error.json in the failed folder.',
  'task.needs_attention':
    'Read the code review findings on the pull request; it is held from auto-merge until a person approves it.',
  'pr.opened': 'Review the pull request and merge it (or comment to ask for changes).',
  'pr.merged': 'Nothing to do: the task moved to completed/.',
  'host.down':
    'Check that Ollama runs on the host and is reachable; meanwhile tasks use other hosts or wait for one.',
  digest: 'See the dashboard for details.',
};

function subjectOf(
  event: NotificationEventName,
  items: NotificationItem[],
  c: (s?: string) => string,
): string {
  const n = items.length;
  const one = items[0]!;
  switch (event) {
    case 'task.failed':
      return n === 1 ? `Task ${c(one.taskId)} failed` : `${n} tasks failed`;
    case 'task.needs_attention':
      return n === 1 ? `Task ${c(one.taskId)} needs attention` : `${n} pull requests need attention`;
    case 'pr.opened':
      return n === 1 ? `Pull request opened for task ${c(one.taskId)}` : `${n} pull requests opened`;
    case 'pr.merged':
      return n === 1 ? `Pull request of task ${c(one.taskId)} merged` : `${n} pull requests merged`;
    case 'host.down':
      return n === 1 ? `Ollama host ${c(one.host)} is down` : `${n} Ollama hosts are down`;
    case 'digest':
      return 'Daily digest';
  }
}

function lineOf(item: NotificationItem, c: (s?: string) => string): MessageLine {
  const task = `Task ${c(item.taskId)}${item.file ? ` (${c(item.file)})` : ''}`;
  const pr = item.prNumber !== undefined ? `PR #${item.prNumber}` : 'the pull request';
  const link = item.prUrl ? { url: c(item.prUrl), label: pr } : undefined;
  switch (item.event) {
    case 'task.failed':
      return {
        text: `${task} failed: ${c(item.reason)}${item.code ? ` [${c(item.code)}]` : ''}`,
        hint: item.hint ? c(item.hint) : retryHint(c(item.taskId)),
      };
    case 'task.needs_attention':
      return { text: `${task}: ${pr} needs attention: ${c(item.reason)}`, ...(link ? { link } : {}) };
    case 'pr.opened':
      return { text: `${task}: ${pr} opened`, ...(link ? { link } : {}) };
    case 'pr.merged':
      return { text: `${task}: ${pr} merged (${c(item.via)})` };
    case 'host.down':
      return { text: `Ollama host ${c(item.host)} has been down for ${item.minutes} min: ${c(item.reason)}` };
    case 'digest': {
      const k = item.counts ?? { completed: 0, review: 0, failed: 0 };
      const failed = item.failedTasks?.length ? ` (${item.failedTasks.map((t) => c(t)).join(', ')})` : '';
      return {
        text: `Last 24 h: ${k.completed + k.review} done (${k.completed} merged, ${k.review} in review), ${k.failed} failed${failed}`,
        ...(k.failed > 0
          ? { hint: 'Read the failed tasks\u2019 .error.log, then run `ticket-processor retry-failed`.' }
          : {}),
      };
    }
  }
}

/** The message for a batch of items of one event, cleaned of secrets with `secrets`. */
export function composeMessage(
  event: NotificationEventName,
  items: NotificationItem[],
  secrets: readonly string[],
): Message {
  const c = (s?: string) => clean(s, secrets);
  const cleanItems = items.map((i) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(i)) {
      if (typeof v === 'string') out[k] = c(v);
      else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? c(x) : x));
      else out[k] = v;
    }
    return out;
  });
  return {
    event,
    subject: subjectOf(event, items, c),
    lines: items.map((i) => lineOf(i, c)),
    next: NEXT[event],
    priority:
      event === 'task.failed' || event === 'host.down' ? 'high' : event === 'digest' ? 'low' : 'default',
    tags: {
      'task.failed': ['x'],
      'task.needs_attention': ['warning'],
      'pr.opened': ['memo'],
      'pr.merged': ['white_check_mark'],
      'host.down': ['rotating_light'],
      digest: ['bar_chart'],
    }[event],
    items: cleanItems,
  };
}
