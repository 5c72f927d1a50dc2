import type { applyEdits } from '../edits.js';
import type { ToolContext } from './types.js';

/** The text both editing tools answer with; records the changed paths for the run. */
export function editResult(res: Awaited<ReturnType<typeof applyEdits>>, ctx: ToolContext): string {
  if (!res.ok) return `error: nothing was changed:\n- ${res.errors.join('\n- ')}`;
  for (const p of res.changed) ctx.changed.add(p);
  return res.changed.length ? `ok: changed ${res.changed.join(', ')}` : 'ok: content was already identical';
}
