/**
 * What the built-in agent may never write, because it changes how git behaves when the
 * service (not the sandbox) runs it: git's own directory, submodule definitions, folders a
 * `core.hooksPath` commonly points at, and `.gitattributes` lines that pick diff, filter or
 * merge drivers (`*.cfg -diff` made the secret scan see "Binary files differ").
 */

/** Path segments that are off limits wherever they appear (compared case-insensitively). */
const PROTECTED_SEGMENTS = new Map<string, string>([
  ['.git', 'git internals'],
  ['.gitmodules', 'submodule definitions'],
  ['.husky', 'a git hooks folder'],
  ['.githooks', 'a git hooks folder'],
]);

/** Attributes that select or disable a diff, filter or merge driver (`binary` is `-diff -merge -text`). */
const DRIVER_ATTRIBUTES = new Set(['diff', 'filter', 'merge', 'binary']);

/** Why a relative path may not be written, or undefined when it may. */
export function protectedPathReason(rel: string): string | undefined {
  for (const seg of rel.split('/')) {
    const what = PROTECTED_SEGMENTS.get(seg.toLowerCase());
    if (what) return `protected path (${what} "${seg}"); the agent may not write it`;
  }
  return undefined;
}

export function isGitattributes(rel: string): boolean {
  return rel.split('/').at(-1)?.toLowerCase() === '.gitattributes';
}

/** The lines of a `.gitattributes` text that set a driver attribute or define a macro. */
export function driverLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // Macros can bundle any attribute under a harmless-looking name.
    if (line.startsWith('[attr]')) {
      out.push(line);
      continue;
    }
    const [, ...attrs] = line.split(/\s+/);
    const sets = attrs.some((a) =>
      DRIVER_ATTRIBUTES.has(a.replace(/^[-!]/, '').split('=')[0]!.toLowerCase()),
    );
    if (sets) out.push(line);
  }
  return out;
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
