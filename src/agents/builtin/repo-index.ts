import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** One file of the worktree as the context builder sees it. */
export interface IndexedFile {
  rel: string;
  size: number;
  mtimeMs: number;
  symbols: string[];
  /** Lower-cased content for keyword scoring; undefined for files too large to scan. */
  lower: string | undefined;
}

const SKIP_DIRS = new Set([
  '.git',
  'node_modules',
  'dist',
  'build',
  'target',
  'vendor',
  '__pycache__',
  '.venv',
  'venv',
  'coverage',
  '.next',
  '.cache',
  '.idea',
  '.vscode',
]);

const BINARY_EXT =
  /\.(png|jpe?g|gif|webp|ico|bmp|pdf|zip|gz|tgz|bz2|xz|7z|jar|class|so|dylib|dll|exe|bin|o|a|wasm|woff2?|ttf|otf|eot|mp[34]|mov|avi|sqlite|db|lock)$/i;

/** Approximate token count: ~3.6 ASCII characters per token for code, about one per non-ASCII char. */
export function estimateTokens(text: string): number {
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) nonAscii++;
  return Math.ceil((text.length - nonAscii) / 3.6 + nonAscii);
}

type SymbolRule = RegExp;
const TS: SymbolRule[] = [
  /^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|interface|type|enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/,
  /^(?:async\s+)?function\*?\s+([A-Za-z_$][\w$]*)/,
  /^(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/,
  /^(?:interface|type|enum)\s+([A-Za-z_$][\w$]*)/,
  /^module\.exports\.([A-Za-z_$][\w$]*)\s*=/,
];
const RULES: Array<[RegExp, SymbolRule[]]> = [
  [/\.(?:[cm]?[jt]sx?)$/, TS],
  [/\.py$/, [/^(?:async\s+)?def\s+(\w+)/, /^class\s+(\w+)/]],
  [/\.go$/, [/^func\s+(?:\([^)]*\)\s*)?(\w+)/, /^type\s+(\w+)/]],
  [
    /\.rs$/,
    [
      /^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?(?:fn|struct|enum|trait|mod|type|const|static)\s+(\w+)/,
      /^impl(?:<[^>]*>)?\s+([\w:]+(?:\s+for\s+[\w:]+)?)/,
    ],
  ],
  [
    /\.(?:java|kt|cs|scala)$/,
    [
      /^\s{0,4}(?:(?:public|private|protected|internal|static|final|abstract|sealed|data|open)\s+)*(?:class|interface|enum|record|object)\s+(\w+)/,
    ],
  ],
  [/\.rb$/, [/^\s{0,2}(?:def|class|module)\s+([\w.:?!]+)/]],
  [/\.php$/, [/^\s{0,4}(?:(?:abstract|final)\s+)?(?:class|interface|trait|function)\s+(\w+)/]],
  [
    /\.(?:c|h|cc|cpp|hpp)$/,
    [/^(?:struct|class|enum)\s+(\w+)\s*\{?/, /^[A-Za-z_][\w\s*]*?\b(\w+)\s*\([^;]*\)\s*\{?\s*$/],
  ],
];

/** Top-level symbol names by cheap per-language regexes (no parser: the map only needs names). */
export function extractSymbols(rel: string, text: string, max = 30): string[] {
  const rules = RULES.find(([ext]) => ext.test(rel))?.[1];
  if (!rules) return [];
  const out: string[] = [];
  for (const line of text.split('\n')) {
    for (const re of rules) {
      const m = re.exec(line);
      if (m?.[1] && !out.includes(m[1])) {
        out.push(m[1]);
        break;
      }
    }
    if (out.length >= max) break;
  }
  return out;
}

export interface RepoIndexOptions {
  /** Files larger than this are listed but not read. Default 256 KiB. */
  maxScanBytes?: number;
  /** Upper bound on files considered. Default 50,000. */
  maxFiles?: number;
}

/**
 * The worktree's file list with symbols and searchable text. Scans reuse unchanged entries
 * (same size and mtime), so rebuilding context on a later turn costs a stat per file.
 */
export class RepoIndex {
  private cache = new Map<string, IndexedFile>();
  private readonly maxScanBytes: number;
  private readonly maxFiles: number;

  constructor(
    readonly root: string,
    opts: RepoIndexOptions = {},
  ) {
    this.maxScanBytes = opts.maxScanBytes ?? 256 * 1024;
    this.maxFiles = opts.maxFiles ?? 50_000;
  }

  /** Lists candidate files: `git ls-files` when the worktree is a repository (honours .gitignore), else a walk. */
  async listFiles(): Promise<string[]> {
    let files: string[];
    try {
      const res = await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
        cwd: this.root,
        stdin: 'ignore',
        maxBuffer: 64 * 1024 * 1024,
      });
      files = res.stdout.split('\0').filter(Boolean);
    } catch {
      files = await this.walk();
    }
    return files
      .filter((f) => !BINARY_EXT.test(f) && !f.split('/').some((seg) => SKIP_DIRS.has(seg)))
      .sort()
      .slice(0, this.maxFiles);
  }

  private async walk(): Promise<string[]> {
    const out: string[] = [];
    const visit = async (dir: string): Promise<void> => {
      const entries = await readdir(path.join(this.root, dir), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) await visit(rel);
        } else if (e.isFile()) out.push(rel);
        if (out.length >= this.maxFiles) return;
      }
    };
    await visit('');
    return out;
  }

  /** Scans the worktree (incrementally) and returns every indexed file. */
  async scan(): Promise<IndexedFile[]> {
    const files = await this.listFiles();
    const next = new Map<string, IndexedFile>();
    const batch = 256;
    for (let i = 0; i < files.length; i += batch) {
      const slice = files.slice(i, i + batch);
      const entries = await Promise.all(slice.map((rel) => this.indexOne(rel)));
      for (const e of entries) if (e) next.set(e.rel, e);
    }
    this.cache = next;
    return [...next.values()];
  }

  private async indexOne(rel: string): Promise<IndexedFile | undefined> {
    const abs = path.join(this.root, rel);
    // lstat, not stat: a symlink is skipped, so a link to a file outside the worktree can never
    // pull that file into the prompt (read_file still resolves in-tree links through the sandbox).
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    const cached = this.cache.get(rel);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached;
    if (st.size > this.maxScanBytes)
      return { rel, size: st.size, mtimeMs: st.mtimeMs, symbols: [], lower: undefined };
    const text = await readFile(abs, 'utf8').catch(() => '');
    if (text.includes('\0')) return undefined;
    return {
      rel,
      size: st.size,
      mtimeMs: st.mtimeMs,
      symbols: extractSymbols(rel, text),
      lower: text.toLowerCase(),
    };
  }
}
