import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The `ErrorCode` union, read from its source so a new code cannot be missed. */
function errorCodes(): string[] {
  const src = readFileSync('src/errors/tp-error.ts', 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const union = /export type ErrorCode =([\s\S]*?);/.exec(src)?.[1] ?? '';
  return [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
}

/** Sections of docs/troubleshooting.md keyed by their `### \`CODE\`` heading. */
function sections(): Map<string, string> {
  const doc = readFileSync('docs/troubleshooting.md', 'utf8');
  const out = new Map<string, string>();
  const parts = doc.split(/^### /m).slice(1);
  for (const p of parts) {
    const code = /^`([A-Z_]+)`/.exec(p)?.[1];
    if (code) out.set(code, p);
  }
  return out;
}

describe('docs/troubleshooting.md', () => {
  it('reads the error codes from the source', () => {
    const codes = errorCodes();
    expect(codes.length).toBeGreaterThan(20);
    expect(codes).toContain('CONFIG_INVALID');
    expect(codes).toContain('INTERNAL');
  });

  it('has a section for every ErrorCode, each with cause, fix and whether it is retried', () => {
    const docs = sections();
    const missing = errorCodes().filter((c) => !docs.has(c));
    expect(missing).toEqual([]);
    for (const [code, text] of docs) {
      expect(text, code).toMatch(/\*\*Cause\*\*/);
      expect(text, code).toMatch(/\*\*Fix\*\*/);
      expect(text, code).toMatch(/\*\*Retryable\*\*: (yes|no|depends)/);
    }
  });

  it('documents no code that no longer exists', () => {
    const codes = new Set(errorCodes());
    expect([...sections().keys()].filter((c) => !codes.has(c))).toEqual([]);
  });
});
