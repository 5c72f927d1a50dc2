import { z } from 'zod';
import { applyEdits } from '../edits.js';
import { editResult } from './edit-result.js';
import { defineTool } from './types.js';

export const writeFile = defineTool({
  name: 'write_file',
  description: 'Create or overwrite a file with complete content.',
  parameters: z.object({
    path: z.string().describe('File path relative to the repository root.'),
    content: z.string().describe('The complete new content of the file.'),
  }),
  async execute({ path, content }, ctx) {
    return editResult(await applyEdits(ctx.sandbox, [{ kind: 'write', path, content }]), ctx);
  },
});
