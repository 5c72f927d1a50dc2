import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { differs, type MigrateItem, same } from './types.js';

const PM2_FILES = ['ecosystem.config.js', 'ecosystem.config.cjs', 'ecosystem.config.json'];
const SYSTEMD_FILE = path.join('systemd', 'ticket-processor.service');

/** This install's bin script, found by walking up to our package.json (works from src/ and dist/). */
export function ownBin(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"ticket-processor"/.test(readFileSync(pkg, 'utf8')))
      return path.join(dir, 'bin', 'ticket-processor.js');
    const up = path.dirname(dir);
    if (up === dir) return 'ticket-processor';
    dir = up;
  }
}

interface Pm2App {
  name?: string;
  script?: string;
  args?: string;
  watch?: boolean;
}

/**
 * The apps of a PM2 file. JSON is parsed; a JS file is only read: its `script:`, `args:`,
 * `name:` and `watch:` values are found with regexes (running it could do anything).
 */
export function readPm2Apps(file: string): Pm2App[] {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    const json = JSON.parse(text) as { apps?: Pm2App[] } | Pm2App[];
    return Array.isArray(json) ? json : (json.apps ?? []);
  }
  const str = (key: string, chunk: string) =>
    new RegExp(`\\b${key}\\s*:\\s*(['"\`])((?:(?!\\1).)*)\\1`).exec(chunk)?.[2];
  return splitApps(text).map((chunk) => {
    const app: Pm2App = {};
    const name = str('name', chunk);
    const script = str('script', chunk);
    const args = str('args', chunk);
    if (name !== undefined) app.name = name;
    if (script !== undefined) app.script = script;
    if (args !== undefined) app.args = args;
    const watch = /\bwatch\s*:\s*(true|false|\[)/.exec(chunk)?.[1];
    if (watch) app.watch = watch !== 'false';
    return app;
  });
}

/** Splits the `apps: [...]` text at top-level `{` of each app (good enough for hand-written files). */
function splitApps(text: string): string[] {
  const at = text.search(/\bapps\s*:\s*\[/);
  const body = at >= 0 ? text.slice(at) : text;
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = body.indexOf('[') + 1; i < body.length; i++) {
    const c = body[i];
    if (c === '{' && depth++ === 0) start = i;
    else if (c === '}' && --depth === 0 && start >= 0) out.push(body.slice(start, i + 1));
    else if (c === ']' && depth === 0) break;
  }
  return out.length > 0 ? out : [body];
}

function pm2Fix(bin: string): string {
  return `in the PM2 file use script: '${bin}', args: 'start' (cwd: this folder); the watcher, the webhook server and the startup checks are one process now`;
}

/** Checks the PM2 ecosystem file and the systemd unit for the original's entry points. */
export function inspectProcessFiles(dir: string): MigrateItem[] {
  const items: MigrateItem[] = [];
  const bin = ownBin();
  const pm2 = PM2_FILES.map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (!pm2) {
    items.push(same('pm2', 'no PM2 ecosystem file'));
  } else {
    const name = path.basename(pm2);
    let apps: Pm2App[];
    try {
      apps = readPm2Apps(pm2);
    } catch (err) {
      apps = [];
      items.push(differs('pm2', `${name} could not be read: ${(err as Error).message}`, pm2Fix(bin)));
    }
    for (const app of apps) {
      const label = `${name}${app.name ? ` (${app.name})` : ''}`;
      const script = app.script ?? '(no script)';
      if (/ticket-processor(\.js)?$/.test(script) && /\bstart\b/.test(app.args ?? '')) {
        items.push(same('pm2', `${label} runs ${script} ${app.args}`));
      } else {
        items.push(
          differs(
            'pm2',
            `${label} runs ${script}${app.args ? ` ${app.args}` : ''}, which is not part of ticket-processor`,
            pm2Fix(bin),
          ),
        );
      }
      if (app.watch) {
        items.push(
          differs(
            'pm2',
            `${label} has watch: true: PM2 restarts the service whenever a file changes (task files too)`,
            'set watch: false; `start` already watches the todo folder',
          ),
        );
      }
    }
  }
  const unit = path.join(dir, SYSTEMD_FILE);
  if (existsSync(unit)) {
    const exec = /^ExecStart=(.*)$/m.exec(readFileSync(unit, 'utf8'))?.[1]?.trim() ?? '';
    if (/ticket-processor(\.js)?\s+start\b/.test(exec))
      items.push(same('systemd', `${SYSTEMD_FILE} runs ${exec}`));
    else
      items.push(
        differs(
          'systemd',
          `${SYSTEMD_FILE} runs ${exec || '(no ExecStart)'}`,
          `set ExecStart=${process.execPath} ${bin} start (EnvironmentFile=.env can stay)`,
        ),
      );
  }
  return items;
}
