import { z } from 'zod';
import { defineTool } from './types.js';

export const readFile = defineTool({
  name: 'read_file',
  description: 'Read a text file of the repository (optionally a line range).',
  parameters: z.object({
    path: z.string().describe('File path relative to the repository root.'),
    start_line: z.number().int().positive().optional().describe('First line to return (1-based).'),
    end_line: z.number().int().positive().optional().describe('Last line to return (inclusive).'),
  }),
  async execute({ path, start_line, end_line }, ctx) {
    const file = await ctx.sandbox.read(path);
    if (!file) return `error: ${path} does not exist`;
    if (file.text.includes('\0')) return `error: ${path} is a binary file`;
    const lines = file.text.split('\n');
    const from = Math.max(1, start_line ?? 1);
    const to = Math.min(lines.length, end_line ?? lines.length);
    const body = lines.slice(from - 1, to).join('\n');
    const range = from === 1 && to === lines.length ? '' : ` (lines ${from}-${to} of ${lines.length})`;
    return `${file.rel}${range}:\n${body}`;
  },
});
