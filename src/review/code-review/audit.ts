import path from 'node:path';
import { redact } from '../../secrets/index.js';
import type { Finding } from './schema.js';

/** Files whose change makes the dependency audit run. */
export const DEPENDENCY_FILES = [
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
] as const;

/** Folders (relative to the repository, `.` for its root) holding a changed manifest or lockfile. */
export function dependencyDirs(files: readonly string[]): string[] {
  const dirs = files
    .filter((f) => (DEPENDENCY_FILES as readonly string[]).includes(path.posix.basename(f)))
    .map((f) => path.posix.dirname(f));
  return [...new Set(dirs)];
}

/** What running `npm audit --json` gave (the pipeline runs it sandboxed, see stages/review.ts). */
export interface AuditRun {
  /** stdout only: npm's log lines on stderr would break the JSON. */
  output: string;
  exitCode: number | null;
  timedOut: boolean;
  spawnError?: { message: string } | undefined;
}

export interface AuditOptions {
  /** Folder inside the worktree holding the manifest (`.` for the root). */
  dir: string;
  /** Runs `npm audit --json` in that folder. */
  exec: (dir: string) => Promise<AuditRun>;
  timeoutMs: number;
  secrets: readonly string[];
}

export interface AuditOutcome {
  findings: Finding[];
  /** "dependency audit unavailable: …" when npm could not answer; never a failure. */
  notes: string[];
}

/**
 * Runs `npm audit --json` through `exec` and turns high and critical advisories into
 * findings on the manifest. Anything else (no registry, no lockfile, no npm, output that is
 * not JSON) is a note, not a failure: an offline machine still gets its review.
 */
export async function runDependencyAudit(opts: AuditOptions): Promise<AuditOutcome> {
  const manifest = path.posix.join(opts.dir, 'package.json');
  const unavailable = (why: string): AuditOutcome => ({
    findings: [],
    notes: [redact(`dependency audit unavailable (${manifest}): ${why}`, opts.secrets)],
  });
  const r = await opts.exec(opts.dir);
  if (r.spawnError) return unavailable(r.spawnError.message);
  if (r.timedOut) return unavailable(`npm audit did not finish within ${opts.timeoutMs} ms`);
  if (r.exitCode === 127) return unavailable('npm was not found');
  return parseAudit(r.output, manifest, unavailable, r.exitCode);
}

interface AuditVia {
  source?: number;
  name?: string;
  title?: string;
  url?: string;
  severity?: string;
  range?: string;
}

interface AuditVuln {
  name?: string;
  severity?: string;
  range?: string;
  via?: Array<AuditVia | string>;
  fixAvailable?: boolean | { name?: string; version?: string; isSemVerMajor?: boolean };
}

/** Reads npm's JSON report (format 2); exported for unit tests of odd outputs. */
export function parseAudit(
  output: string,
  manifest: string,
  unavailable: (why: string) => AuditOutcome,
  exitCode: number | null,
): AuditOutcome {
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(output.trim());
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    json = parsed as Record<string, unknown>;
  } catch {
    const shown = output.trim().split('\n').slice(-3).join(' ').slice(0, 300);
    return unavailable(
      `npm printed no JSON report (exit ${exitCode ?? 'killed'})${shown ? `: ${shown}` : ''}`,
    );
  }
  const vulns = json.vulnerabilities;
  if (!vulns || typeof vulns !== 'object') {
    const err = json.error as { code?: string; summary?: string } | undefined;
    const why = [err?.code, err?.summary, typeof json.message === 'string' ? json.message : undefined]
      .filter((s): s is string => Boolean(s?.trim()))
      .join(': ');
    return unavailable(why || 'npm returned no vulnerability report');
  }
  const findings: Finding[] = [];
  for (const v of Object.values(vulns as Record<string, AuditVuln>)) {
    if (v.severity !== 'critical' && v.severity !== 'high') continue;
    // Only the package an advisory names; its dependents ("depends on vulnerable x") repeat it.
    const advisories = (v.via ?? []).filter((x): x is AuditVia => typeof x === 'object' && x !== null);
    if (advisories.length === 0) continue;
    const titles = advisories.map((a) => `${a.title ?? 'advisory'}${a.url ? ` (${a.url})` : ''}`);
    findings.push({
      severity: v.severity === 'critical' ? 'critical' : 'major',
      category: 'security',
      file: manifest,
      line: undefined,
      message:
        `${v.name ?? advisories[0]?.name ?? 'a dependency'} ${v.range || advisories[0]?.range || ''}`.trimEnd() +
        `: ${titles.join('; ')}`,
      suggestion: fixText(v.fixAvailable),
      source: 'audit',
    });
  }
  return { findings, notes: [] };
}

function fixText(fix: AuditVuln['fixAvailable']): string {
  if (fix === true) return 'Run `npm audit fix`.';
  if (fix && typeof fix === 'object' && fix.name)
    return `Upgrade ${fix.name} to ${fix.version ?? 'a fixed version'}${fix.isSemVerMajor ? ' (a semver-major change)' : ''}.`;
  return 'No fixed version is available: replace or remove the dependency.';
}
