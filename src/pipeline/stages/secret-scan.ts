import { TpError } from '../../errors/index.js';
import { scanDiff } from '../../review/index.js';
import type { RunContext } from '../run-context.js';

/**
 * Fails the run when the change adds something that looks like a secret: it must not reach a
 * remote. The message names file, line and rule, never the value.
 */
export async function secretScan(ctx: RunContext): Promise<void> {
  const { config, secrets } = ctx.deps;
  if (!config.security.secretScan) return;
  ctx.enter('review', 'secret scan');
  const findings = scanDiff(ctx.diff, { known: secrets, allow: config.security.allowPatterns });
  if (findings.length === 0) return;
  const where = findings.slice(0, 5).map((f) => `${f.file}:${f.line} (${f.rule})`);
  throw new TpError(
    `The change adds what looks like a secret: ${where.join(', ')}${findings.length > 5 ? ', …' : ''}.`,
    {
      code: 'SECRET_DETECTED',
      retryable: false,
      hint: 'Nothing was committed or pushed. Make the ticket ask for configuration from the environment; for a false positive add a pattern to security.allowPatterns.',
    },
  );
}
