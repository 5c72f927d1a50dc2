/** A likely secret in the lines a change adds. The value itself is never kept. */
export interface SecretFinding {
  file: string;
  line: number;
  rule: string;
}

interface Rule {
  id: string;
  re: RegExp;
}

/** Formats with a recognisable shape, and generic assignments of long literal values. */
const RULES: Rule[] = [
  { id: 'AWS access key id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { id: 'GitHub token', re: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/ },
  { id: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { id: 'Slack token', re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/ },
  { id: 'OpenAI-style API key', re: /\bsk-[A-Za-z0-9_-]{32,}\b/ },
  { id: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { id: 'private key', re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY( BLOCK)?-----/ },
  {
    id: 'hard-coded credential',
    re: /\b(?:api[_-]?key|secret|token|passw(?:or)?d|client[_-]?secret)\b["']?\s*[:=]\s*["'][^"'\s$<>{}]{16,}["']/i,
  },
];

/**
 * Scans the added lines of a unified diff for secrets: known token formats, literal
 * credential assignments, and the exact values of the secrets this process holds.
 * `allow` patterns (security.allowPatterns) silence known false positives.
 */
export function scanDiff(diff: string, opts: { known?: string[]; allow?: string[] } = {}): SecretFinding[] {
  const allow = (opts.allow ?? []).map((p) => new RegExp(p));
  const known = (opts.known ?? []).filter((k) => k.length >= 8);
  const findings: SecretFinding[] = [];
  let file = '';
  let line = 0;
  for (const raw of diff.split('\n')) {
    if (raw.startsWith('+++ ')) {
      file = raw.slice(4).replace(/^b\//, '');
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (raw.startsWith('+')) {
      const text = raw.slice(1);
      if (!allow.some((a) => a.test(text))) {
        const rule = known.some((k) => text.includes(k))
          ? 'a secret configured in this service'
          : RULES.find((r) => r.re.test(text))?.id;
        if (rule) findings.push({ file, line, rule });
      }
      line++;
    } else if (!raw.startsWith('-') && !raw.startsWith('\\')) {
      line++;
    }
  }
  return findings;
}
