import { z } from 'zod';
import { defineTool } from './types.js';

export const finish = defineTool({
  name: 'finish',
  description: 'Call when the task is complete (or cannot be done), with a summary.',
  parameters: z.object({ summary: z.string().describe('What you changed and why, in a few sentences.') }),
  execute: ({ summary }) => ({ kind: 'finish', summary }),
});
