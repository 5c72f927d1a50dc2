import { SECRET_RULES } from '../secrets/index.js';
import { parseDiff } from './diff-parse.js';

/** A likely secret in the lines a change adds. The value itself is never kept. */
export interface SecretFinding {
  file: string;
  line: number;
  rule: string;
}

/** Above this many characters the diff is reported, not scanned (64 MiB: far beyond a reviewable change). */
export const MAX_SCAN_CHARS = 64 * 1024 * 1024;

export interface ScanOptions {
  /** Exact values of the secrets this process holds. */
  known?: string[];
  /** security.allowPatterns: regular expressions of known false positives. */
  allow?: string[];
  /** Size cap in characters (default MAX_SCAN_CHARS). */
  maxBytes?: number;
}

/**
 * Scans the added lines of a unified diff for secrets: known token formats, literal
 * credential assignments, and the exact values of the secrets this process holds.
 * `allow` patterns (security.allowPatterns) silence known false positives.
 *
 * What it cannot read is a finding too, never a silent pass: an added binary file whose bytes
 * the diff does not show (the diff must be made with `--text`), and a diff above the size cap.
 * Lines may hold NUL bytes and be megabytes long: the rules have no nested repetition, so a
 * long line costs linear time.
 */
export function scanDiff(diff: string, opts: ScanOptions = {}): SecretFinding[] {
  const max = opts.maxBytes ?? MAX_SCAN_CHARS;
  if (diff.length > max) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    return [
      { file: '(whole change)', line: 0, rule: `diff too large to scan (${mb(diff.length)} > ${mb(max)})` },
    ];
  }
  const allow = (opts.allow ?? []).map((p) => new RegExp(p));
  const known = (opts.known ?? []).filter((k) => k.length >= 8);
  const findings: SecretFinding[] = [];
  for (const f of parseDiff(diff)) {
    if (f.binary) {
      findings.push({
        file: f.path,
        line: 0,
        rule: 'binary content not shown in the diff (cannot be scanned)',
      });
    }
    for (const { line, text } of f.added) {
      if (allow.some((a) => a.test(text))) continue;
      const rule = known.some((k) => text.includes(k))
        ? 'a secret configured in this service'
        : SECRET_RULES.find((r) => r.re.test(text))?.id;
      if (rule) findings.push({ file: f.path, line, rule });
    }
  }
  return findings;
}
