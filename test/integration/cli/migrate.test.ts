import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tmpDir } from '../../helpers/project.js';

const ORIGINAL = path.resolve('test/fixtures/original-install');
const TOKEN = 'f3a9c0ffee5eed1234567890abcdef0123456789';
const HOOK_SECRET = 'hook-secret-that-must-not-leak';

/** A writable copy of the original tool's files. */
function copyOriginal(): string {
  const dir = path.join(tmpDir('tp-migrate-'), 'original');
  cpSync(ORIGINAL, dir, { recursive: true });
  chmodSync(dir, 0o755);
  return dir;
}

/** Every file under dir with its content, to prove the command wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const lineWith = (text: string, needle: string) => text.split('\n').find((l) => l.includes(needle)) ?? '';

/** The original install as its user had it: .env, a PM2 file, tasks in the folders, a per-task repo. */
function populate(dir: string): void {
  writeFileSync(
    path.join(dir, '.env'),
    [
      'OLLAMA_HOST=http://host.containers.internal:11434',
      'GITEA_URL=http://localhost:3000',
      `GITEA_TOKEN=${TOKEN}`,
      `GITEA_WEBHOOK_SECRET=${HOOK_SECRET}`,
      'GITEA_SECRET_KEY=changeme-secret-key-please',
      'GITEA_ADMIN_PASSWORD=admin123',
      'GITEA_ORG=ticket-processor',
      'GIT_USER_NAME=Ticket Processor',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'ecosystem.config.js'),
    `module.exports = {\n  apps: [{\n    name: 'ticket-processor',\n    script: './scripts/watcher.js',\n    watch: true,\n    env: { NODE_ENV: 'production' },\n  }],\n};\nrequire('fs').writeFileSync(__dirname + '/executed.txt', 'x');\n`,
  );
  for (const f of ['todo', 'doing', 'review', 'failed', 'completed'])
    mkdirSync(path.join(dir, 'backlog', f), { recursive: true });
  cpSync(path.join(dir, 'task-template.md'), path.join(dir, 'backlog/todo/task-1 - Add OAuth.md'));
  writeFileSync(
    path.join(dir, 'backlog/todo/task-2 - Broken.md'),
    '---\ntitle: Broken\nstatus: To Do\npriority: urgent\n---\n\n# Broken\n',
  );
  writeFileSync(path.join(dir, 'backlog/review/task-3 - Waiting.md'), '---\ntitle: Waiting\n---\n');
  writeFileSync(path.join(dir, 'backlog/failed/task-4 - Failed.md'), '---\ntitle: Failed\n---\n');
  writeFileSync(
    path.join(dir, 'backlog/failed/task-4 - Failed.error.log'),
    JSON.stringify({ timestamp: '2026-01-02T12:34:56.789Z', error: 'Kodu exited with code 1', stderr: 'x' }),
  );
  mkdirSync(path.join(dir, 'repos/task-3/.git'), { recursive: true });
  writeFileSync(
    path.join(dir, 'repos/task-3/.git/config'),
    `[remote "origin"]\n\turl = http://admin:${TOKEN}@localhost:3000/ticket-processor/task-3.git\n`,
  );
}

describe('ticket-processor migrate (subprocess, read-only)', () => {
  it("reports a plain copy of the original's files", async () => {
    const dir = copyOriginal();
    const before = snapshot(dir);
    const r = await runCli(['migrate', dir], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    const out = r.stdout;
    expect(lineWith(out, 'config.json')).toMatch(/^✔/);
    expect(lineWith(out, 'no .env')).toMatch(/^⚠/);
    expect(lineWith(out, 'processing.moveDelay')).toMatch(/^⚠.*500/);
    expect(lineWith(out, 'Kilo')).toMatch(/^⚠/);
    expect(out).toContain('agent.type');
    expect(lineWith(out, '.error.json')).toMatch(/^⚠/);
    expect(lineWith(out, 'logging.colorize')).toMatch(/^✔/);
    expect(lineWith(out, 'taskIdFormat')).toMatch(/^✔/);
    expect(out).toMatch(/→ /);
  });

  it('reads .env (secrets masked), the PM2 file (not run), the folders and per-task clones', async () => {
    const dir = copyOriginal();
    populate(dir);
    const before = snapshot(dir);
    const r = await runCli(['migrate', dir], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    const all = r.stdout + r.stderr;
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(HOOK_SECRET);
    expect(all).not.toContain('admin123');
    expect(all).toContain('GITEA_TOKEN=***set***');
    expect(all).toContain('GITEA_URL=http://localhost:3000');

    expect(lineWith(all, 'scripts/watcher.js')).toMatch(/^⚠/);
    expect(all).toContain("args: 'start'");
    expect(lineWith(all, 'watch: true')).toMatch(/^⚠/);
    expect(lineWith(all, 'host.containers.internal')).toMatch(/^⚠/);
    expect(lineWith(all, 'backlog/todo: 2')).toMatch(/^⚠/);
    const broken = path.join('backlog', 'todo', 'task-2 - Broken.md');
    expect(lineWith(all, `${broken}:4:`)).toContain('priority');
    expect(lineWith(all, 'backlog/review: 1')).not.toBe('');
    expect(lineWith(all, 'repos/task-3/.git/config')).toMatch(/^⚠.*token/);
    expect(lineWith(all, 'raw body')).toMatch(/^✔/);
    expect(lineWith(all, 'perTaskRepo')).toMatch(/^⚠/);
    expect(lineWith(all, '1 .error.log')).toMatch(/^⚠/);

    const j = await runCli(['migrate', dir, '--json'], { cwd: tmpDir() });
    expect(j.stderr).toBe('');
    expect(j.code).toBe(0);
    expect(j.stdout).not.toContain(TOKEN);
    const report = JSON.parse(j.stdout) as {
      dir: string;
      items: Array<{ status: string; topic: string; message: string; fix?: string }>;
      env: Record<string, string>;
    };
    expect(report.dir).toBe(dir);
    expect(report.env.GITEA_TOKEN).toBe('***set***');
    const pm2 = report.items.find((i) => i.topic === 'pm2' && i.message.includes('watcher.js'));
    expect(pm2?.status).toBe('differs');
    expect(pm2?.fix).toContain('start');
    expect(report.items.filter((i) => i.status === 'same').length).toBeGreaterThan(2);
  });

  it('exits 2 on a folder that is not an original install', async () => {
    const empty = tmpDir();
    const r = await runCli(['migrate', empty], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(empty);
    expect(r.stderr).toMatch(/not an install of the original/);
  });
});
