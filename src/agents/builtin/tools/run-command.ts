import { z } from 'zod';
import { isAllowed, runAllowedCommand, splitWords } from '../run-command.js';
import { defineTool } from './types.js';

export const runCommand = defineTool({
  name: 'run_command',
  description: (allowList) =>
    `Run an allowed command in the repository (no shell). Allowed: ${allowList.join('; ')}`,
  // Without an allow-list there is nothing it could run: the model is not offered it.
  offered: (allowList) => allowList.length > 0,
  parameters: z.object({
    command: z.string().describe('Command line from the allowed list, e.g. "npm test". No shell syntax.'),
  }),
  execute({ command }, ctx) {
    const argv = splitWords(command);
    if (!argv.length || !isAllowed(ctx.allowRules, argv)) {
      return `error: command not allowed: ${JSON.stringify(argv.join(' '))}. Allowed: ${ctx.allowList.join('; ') || '(none)'}`;
    }
    return runAllowedCommand(ctx.sandbox.root, argv, {
      timeoutMs: ctx.commandTimeoutMs,
      maxOutputChars: ctx.maxResultChars,
      env: ctx.env,
      signal: ctx.signal,
      sandbox: ctx.commandSandbox,
    });
  },
});
