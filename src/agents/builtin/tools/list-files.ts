import { z } from 'zod';
import { defineTool } from './types.js';

/** More paths than this flood the context; the model is told to narrow with `dir`. */
const MAX_LISTED = 400;

export const listFiles = defineTool({
  name: 'list_files',
  description: 'List repository files, optionally under a directory or containing some text.',
  parameters: z.object({
    dir: z.string().optional().describe('Directory relative to the root; default the whole repository.'),
    contains: z.string().optional().describe('Only paths containing this text.'),
  }),
  async execute({ dir, contains }, ctx) {
    const prefix = dir ? `${ctx.sandbox.lexical(dir)}/`.replace(/^\.\//, '') : '';
    const files = (await ctx.index.listFiles()).filter(
      (f) => f.startsWith(prefix) && (!contains || f.includes(contains)),
    );
    const shown = files.slice(0, MAX_LISTED);
    const more =
      files.length > shown.length ? `\n[… ${files.length - shown.length} more; narrow with dir]` : '';
    return files.length ? shown.join('\n') + more : 'no files match';
  },
});
