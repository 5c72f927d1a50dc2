import { redact } from '../secrets/index.js';
import type { CliIo, GlobalOptions } from './context.js';
import { type Check, runDoctor } from './doctor/index.js';

const MARK: Record<Check['status'], string> = { ok: '✔', warn: '!', fail: '✘' };

/** One line: `✔ what: detail`, or `✘ what: why → fix` (`!` for a warning). */
export function formatCheck(c: Check): string {
  const head = `${MARK[c.status]} ${c.what}${c.detail ? `: ${c.detail}` : ''}`;
  return c.fix && c.status !== 'ok' ? `${head} → ${c.fix}` : head;
}

/** `doctor`: checks the environment, config, Ollama, forge, port and disk; exit 1 on any ✘. */
export async function doctorCommand(io: CliIo, opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const report = await runDoctor({
    cwd: io.cwd,
    env: io.env,
    ...(opts.config ? { configPath: opts.config } : {}),
  });
  const clean = (s: string) => redact(s, report.secrets);
  if (opts.json) {
    io.out(clean(JSON.stringify({ ok: report.ok, checks: report.checks }, null, 2)));
  } else {
    for (const c of report.checks) io.out(clean(formatCheck(c)));
    const failed = report.checks.filter((c) => c.status === 'fail').length;
    const warned = report.checks.filter((c) => c.status === 'warn').length;
    io.out(
      failed === 0
        ? `\nAll checks passed${warned ? ` (${warned} warning(s))` : ''}.`
        : `\n${failed} check(s) failed${warned ? `, ${warned} warning(s)` : ''}.`,
    );
  }
  return report.ok ? 0 : 1;
}
