import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { TpError } from '../../src/errors/index.js';
import { createProjectSandbox, createSandbox } from '../../src/sandbox/index.js';

/** `sandbox.mode`: bwrap when it can run, else none with a warning; an explicit bwrap must run. */
describe('sandbox mode resolution', () => {
  it('unset mode and no bubblewrap: none, with a warning that names the fix', () => {
    const s = createSandbox({ bwrapPath: '/nonexistent/bwrap', env: process.env });
    expect(s.mode).toBe('none');
    expect(s.warning).toMatch(/UNCONFINED/);
    expect(s.warning).toMatch(/apt-get install bubblewrap/);
    expect(s.warning).toMatch(/sandbox\.mode/);
    expect(s.wrap(['npm', 'test'], { worktree: '/x', network: false })).toEqual(['npm', 'test']);
  });

  it('mode bwrap and no bubblewrap: CONFIG_INVALID at start, with a hint', () => {
    let err: unknown;
    try {
      createSandbox({ mode: 'bwrap', bwrapPath: '/nonexistent/bwrap', env: process.env });
    } catch (e) {
      err = e;
    }
    expect(TpError.isInstance(err)).toBe(true);
    const e = err as TpError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('/nonexistent/bwrap');
    expect(e.hint).toMatch(/bubblewrap/);
    expect(e.details.path).toBe('sandbox.bwrapPath');
  });

  it('a bwrapPath name is looked up on PATH', () => {
    expect(() => createSandbox({ mode: 'bwrap', bwrapPath: 'bwrap', env: { PATH: '/nonexistent' } })).toThrow(
      /bubblewrap cannot run/,
    );
    const s = createSandbox({ mode: 'bwrap', bwrapPath: 'bwrap', env: { PATH: '/usr/bin' } });
    expect(s.mode).toBe('bwrap');
  });

  it('unset mode with the real bwrap: bwrap, no warning', () => {
    const s = createSandbox({ env: process.env });
    expect(s.mode).toBe('bwrap');
    expect(s.warning).toBeUndefined();
    const argv = s.wrap(['npm', 'test'], { worktree: tmpdir(), network: false });
    expect(argv[0]).toBe('/usr/bin/bwrap');
    expect(argv).toContain('--unshare-net');
    expect(argv).toContain('--unshare-pid');
    expect(argv).toContain('--die-with-parent');
    expect(argv.slice(-3)).toEqual(['--', 'npm', 'test']);
    expect(s.wrap(['x'], { worktree: tmpdir(), network: true })).not.toContain('--unshare-net');
  });

  it('mode none is none, silently', () => {
    const s = createSandbox({ mode: 'none', bwrapPath: '/nonexistent/bwrap' });
    expect(s.mode).toBe('none');
    expect(s.warning).toBeUndefined();
  });

  it('the project sandbox reads sandbox.* from config.json', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tp-sbxmode-'));
    try {
      writeFileSync(
        path.join(root, 'config.json'),
        JSON.stringify({ sandbox: { mode: 'bwrap', bwrapPath: '/nonexistent/bwrap' } }),
      );
      const loaded = loadConfig({ cwd: root, env: { PATH: process.env.PATH } });
      expect(() => createProjectSandbox(loaded, path.join(root, 'repos', 'prompts'))).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
      writeFileSync(
        path.join(root, 'config.json'),
        JSON.stringify({ sandbox: { bwrapPath: '/nonexistent/bwrap' } }),
      );
      const fallback = createProjectSandbox(
        loadConfig({ cwd: root, env: { PATH: process.env.PATH } }),
        path.join(root, 'repos', 'prompts'),
      );
      expect(fallback.mode).toBe('none');
      expect(fallback.warning).toBeDefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
