import { driverAttribute, isGitattributes, protectedPathReason as reviewReason } from '../../review/index.js';

/*
 * What the built-in agent may never write: the same policy the guard stage applies to every
 * agent's change (src/review/protected-paths.ts), checked here before the write so the model
 * gets a tool error instead of a failed run.
 */

/** Why a relative path may not be written, or undefined when it may. */
export function protectedPathReason(rel: string): string | undefined {
  const reason = reviewReason(rel);
  return reason ? `protected path (${reason}); the agent may not write it` : undefined;
}

/** The lines of a `.gitattributes` text that set a driver attribute or define a macro. */
export function driverLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => driverAttribute(l) !== undefined);
}

/**
 * Checks one planned write. A `.gitattributes` may keep driver lines it already has (a repo's
 * own `*.png binary`); only new ones are refused.
 */
export function protectedWriteError(
  rel: string,
  before: string | undefined,
  after: string,
): string | undefined {
  const reason = protectedPathReason(rel);
  if (reason) return `${rel}: ${reason}`;
  if (!isGitattributes(rel)) return undefined;
  const existing = new Set(driverLines(before ?? ''));
  const added = driverLines(after).filter((l) => !existing.has(l));
  if (added.length === 0) return undefined;
  return (
    `${rel}: lines that set diff, filter or merge drivers (diff, -diff, binary, filter=, merge=, [attr] macros) ` +
    `may not be added: ${added.map((l) => JSON.stringify(l)).join(', ')}`
  );
}
