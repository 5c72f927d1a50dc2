import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { configSchema } from '../../../src/config/index.js';
import { tmpDir } from '../../helpers/project.js';

/*
 * Every key of the configuration schema must be read by some code: a key that is accepted and
 * silently ignored makes a user believe a feature is on. (Issue 10: `codeReview.enabled: true`
 * did nothing.)
 *
 * KEYS. The schema is walked through defaults, prefaults, optionals and pipes down to object
 * shapes. Every leaf is a key, written as its path: `ollama.host`. An array of objects is a key
 * (`ollama.hosts`) and so is each field of its items (`ollama.hosts[].url`). A record
 * (`modelSelection.profiles`) is one key: its entries are the user's names, not the schema's.
 *
 * READER. A key `… parent.leaf` counts as read when one source file F under src/, outside
 * src/config/ (which only declares and loads keys), with comments stripped:
 *   1. reads the leaf: a property access `.leaf`, a string `'leaf'` (an index `x['leaf']`, or a
 *      list of keys read by index, like ['small', 'medium', 'large']), or a destructuring
 *      `{ …, leaf, … } =`; and
 *   2. is where the parent arrives: F names the parent as a word, in any case (`healthCheck`
 *      for `ollama.healthCheck.interval`; `git` for `git.prTitle`; `hosts` for
 *      `ollama.hosts[].url`; a type named after it such as `SlaMinutes` counts), or F declares
 *      the leaf as a typed property (`maxFiles: number` in an options interface) while some
 *      file hands the parent over whole (`f(config.logging)`, `...config.logging`).
 * The rule is deliberately simple: it shows a key is used where it could be read, so a same-
 * named property of something else can fool it; it cannot miss a key that no code uses at all,
 * which is the failure it is here for.
 *
 * EXEMPT. Only the short ALLOW_UNREAD list: keys accepted on purpose and read by nothing, each
 * with why.
 */

// Empty now: processing.moveDelay, the one key accepted for the original's config.json and
// otherwise ignored, is read by `migrate`, which tells its users that it no longer delays pickup.
const ALLOW_UNREAD: Record<string, string> = {};

type Schema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
}
const defOf = (s: Schema) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Unwraps default / prefault / optional / nullable / readonly / pipe to the schema that shapes values. */
function unwrap(s: Schema): Schema {
  for (;;) {
    const d = defOf(s);
    if (d.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(d.type))
      s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** Every key path of an object schema (see KEYS above). */
function keyPaths(schema: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(defOf(unwrap(schema)).shape ?? {})) {
    const here = prefix ? `${prefix}.${name}` : name;
    const inner = unwrap(child);
    const d = defOf(inner);
    if (d.type === 'object') {
      out.push(...keyPaths(inner, here));
    } else if (d.type === 'array' && d.element && defOf(unwrap(d.element)).type === 'object') {
      out.push(here, ...keyPaths(d.element, `${here}[]`));
    } else {
      out.push(here);
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => !f.split(path.sep).join('/').includes('src/config/'));
}

/** Source text without comments (line and block), so documentation does not count as reading. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether some file hands `parent` over whole: as an argument, a spread, or an `a ?? b` operand. */
function handsOver(text: string, parent: string): boolean {
  const p = reEscape(parent);
  return new RegExp(`\\.\\.\\.[\\w.]*\\b${p}\\b|\\b${p}\\s*(?:[,)};]|\\?\\?)`).test(text);
}

/** Whether `text` reads key `key` by the READER rule above; `handedOver`: its parent is passed whole somewhere. */
function readsKey(text: string, key: string, handedOver = false): boolean {
  const parts = key.replace(/\[\]/g, '').split('.');
  const leaf = reEscape(parts.at(-1)!);
  const parent = parts.length > 1 ? parts.at(-2)! : undefined;
  const reads =
    new RegExp(`\\.${leaf}\\b|['"]${leaf}['"]`).test(text) ||
    new RegExp(`\\{[^{}=;]*\\b${leaf}\\b[^{}=;]*\\}\\s*=[^=>]`).test(text);
  if (!reads) return false;
  if (!parent || new RegExp(`\\b${reEscape(parent)}\\b`, 'i').test(text)) return true;
  const typed = new RegExp(
    `\\b${leaf}\\??\\s*:\\s*(?:readonly\\s+)?(?:number|string|boolean|Record<|Array<|ReadonlyArray<|'|[A-Z]\\w*(?:\\[\\])?\\s*[;,}|])`,
  );
  return handedOver && typed.test(text);
}

describe('every config key is read by some code', () => {
  const keys = keyPaths(configSchema);
  const files = sourceFiles(path.resolve('src')).map((f) => ({ f, text: code(f) }));
  const passed = new Map<string, boolean>();
  const handedOver = (k: string) => {
    const parent = k.replace(/\[\]/g, '').split('.').at(-2);
    if (parent === undefined) return false;
    if (!passed.has(parent))
      passed.set(
        parent,
        files.some((x) => handsOver(x.text, parent)),
      );
    return passed.get(parent)!;
  };
  const isRead = (k: string) => files.some((x) => readsKey(x.text, k, handedOver(k)));

  it('walks the schema to its leaves (objects, arrays of objects, records)', () => {
    expect(keys).toEqual(
      expect.arrayContaining([
        'ollama.host',
        'ollama.healthCheck.maxWaitMs',
        'ollama.hosts',
        'ollama.hosts[].url',
        'processing.queues[].labels',
        'processing.slaMinutes.critical',
        'modelSelection.profiles',
        'modelSelection.tiers.small',
        'performance.cache.ttlMs',
        'notifications.channels[].smtp.host',
        'monitoring.dashboard',
      ]),
    );
    expect(keys).not.toContain('ollama.healthCheck');
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('the reader rule: parent named, leaf read; comments do not count', () => {
    expect(readsKey('const h = config.ollama.healthCheck.interval;', 'ollama.healthCheck.interval')).toBe(
      true,
    );
    expect(readsKey('const { interval: every } = healthCheck;', 'ollama.healthCheck.interval')).toBe(true);
    expect(readsKey("const v = cache['ttlMs'];", 'performance.cache.ttlMs')).toBe(true);
    expect(
      readsKey("for (const t of ['small', 'large']) out.push(tiers[t]);", 'modelSelection.tiers.small'),
    ).toBe(true);
    expect(readsKey('const m = sla[p]; type S = SlaMinutes; x.low;', 'processing.slaMinutes.low')).toBe(true);
    expect(readsKey('const x = other.interval;', 'ollama.healthCheck.interval')).toBe(false);
    expect(readsKey('healthCheck({ interval: 5 });', 'ollama.healthCheck.interval')).toBe(false);
    // Handed over: `createLogs({ ...config.logging })` elsewhere, an options type here.
    const options = 'interface O { maxFiles: number }\nrotate(this.o.maxFiles);';
    expect(handsOver('createLogs({ ...config.logging, dir });', 'logging')).toBe(true);
    expect(readsKey(options, 'logging.maxFiles', true)).toBe(true);
    expect(readsKey(options, 'logging.maxFiles', false)).toBe(false);
    // A literal union is a typed property too (the logger's `format: 'json' | 'pretty'`).
    expect(
      readsKey(
        "interface O { format: 'json' | 'pretty' }\nif (o.format === 'pretty') x();",
        'logging.format',
        true,
      ),
    ).toBe(true);
    expect(code(writeTemp('// healthCheck.interval\n/* healthCheck.interval */\n'))).not.toMatch(/interval/);
  });

  it('the allow-list names real keys that are indeed unread, each with a reason', () => {
    for (const [key, why] of Object.entries(ALLOW_UNREAD)) {
      expect(keys).toContain(key);
      expect(why.length).toBeGreaterThan(20);
      expect(isRead(key), `${key} is read now: remove it from ALLOW_UNREAD`).toBe(false);
    }
  });

  it('no key is left without a reader', () => {
    const unread = keys.filter((k) => !(k in ALLOW_UNREAD) && !isRead(k));
    expect(unread, `config keys that no code under src/ reads:\n  ${unread.join('\n  ')}\n`).toEqual([]);
  });
});

function writeTemp(text: string): string {
  const file = path.join(tmpDir(), 'x.ts');
  writeFileSync(file, text);
  return file;
}
