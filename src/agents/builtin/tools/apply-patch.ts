import { z } from 'zod';
import { applyEdits } from '../edits.js';
import { editResult } from './edit-result.js';
import { defineTool } from './types.js';

export const applyPatch = defineTool({
  name: 'apply_patch',
  description: 'Edit files with exact search/replace pairs; validated together, applied all-or-nothing.',
  parameters: z.object({
    edits: z
      .array(
        z.object({
          path: z.string(),
          search: z.string().describe('Exact current text to replace; empty to create a new file.'),
          replace: z.string().describe('Replacement text.'),
        }),
      )
      .min(1)
      .describe('Search/replace edits; all are applied or none.'),
  }),
  async execute({ edits }, ctx) {
    const list = edits.map((e) => ({ kind: 'replace' as const, ...e }));
    return editResult(await applyEdits(ctx.sandbox, list), ctx);
  },
});
