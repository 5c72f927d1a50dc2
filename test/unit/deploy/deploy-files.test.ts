import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/*
 * The service files in deploy/ and the Dockerfile, checked for what docs/operations.md promises.
 * (No container runtime in CI: the image itself is not built here.)
 */

const read = (f: string) => readFileSync(f, 'utf8');

/** `Key=value` lines of a systemd unit, by key (last one wins, as systemd reads most keys). */
function unit(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('deploy files', () => {
  it('systemd unit: non-root user, restart on failure, .env as EnvironmentFile, a working directory', () => {
    const u = unit(read('deploy/ticket-processor.service'));
    expect(u.User).toBeDefined();
    expect(u.User).not.toBe('root');
    expect(u.Restart).toBe('on-failure');
    expect(u.EnvironmentFile).toMatch(/\.env$/);
    expect(u.WorkingDirectory).toMatch(/^\//);
    expect(u.ExecStart).toMatch(/bin\/ticket-processor\.js start$/);
    expect(u.KillSignal).toBe('SIGTERM');
  });

  it('PM2 ecosystem file: the original layout, pointed at the real entry point', () => {
    const require = createRequire(import.meta.url);
    const eco = require(path.resolve('deploy/ecosystem.config.cjs')) as {
      apps: Array<Record<string, unknown>>;
    };
    expect(eco.apps).toHaveLength(1);
    const app = eco.apps[0]!;
    expect(app).toMatchObject({
      name: 'ticket-processor',
      args: 'start',
      instances: 1,
      exec_mode: 'fork',
      autorestart: true,
      watch: false,
      error_file: './logs/pm2-error.log',
      out_file: './logs/pm2-out.log',
    });
    expect(app.script).toBe(path.resolve('bin/ticket-processor.js'));
    expect(existsSync(String(app.script))).toBe(true);
  });

  it('Dockerfile: node:20-slim, git and bubblewrap, production deps only, non-root, /health check', () => {
    const d = read('Dockerfile');
    const froms = [...d.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.every((f) => f === 'node:20-slim')).toBe(true);
    expect(d).toMatch(/apt-get install[^\n]*\bgit\b[^\n]*\bbubblewrap\b/);
    expect(d).toContain('npm ci --omit=dev');
    const users = [...d.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toBe('root');
    expect(d).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    // Everything the build stage copies exists in the repository.
    for (const m of d.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const src of m[1]!.split(' ')) expect(existsSync(src), src).toBe(true);
    // The context leaves out local state and secrets.
    const ignore = read('.dockerignore').split('\n');
    for (const p of ['node_modules', '.env', '.ticket-processor', 'logs']) expect(ignore).toContain(p);
  });

  it('compose: the service with project and state volumes, and redis', () => {
    const c = parse(read('deploy/compose.yaml')) as {
      services: Record<string, { volumes?: string[]; image?: string; build?: { context: string } }>;
      volumes: Record<string, unknown>;
    };
    const tp = c.services['ticket-processor']!;
    expect(tp.build?.context).toBe('..');
    expect(tp.volumes?.some((v) => v.endsWith(':/project'))).toBe(true);
    expect(tp.volumes).toContain('tp-state:/project/.ticket-processor');
    expect(c.services.redis?.image).toMatch(/^redis:/);
    expect(Object.keys(c.volumes)).toEqual(expect.arrayContaining(['tp-state', 'redis-data']));
  });
});
