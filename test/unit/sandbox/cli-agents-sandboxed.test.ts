import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AiderAgent, KiloAgent } from '../../../src/agents/cli/index.js';
import { createSandbox } from '../../../src/sandbox/index.js';
import { makeInput } from '../agents-cli/helpers.js';

const STAND_INS = resolve(import.meta.dirname, '../../fixtures/agents/stand-ins');

/**
 * The named CLI agents under the real bwrap: the project layout lives in /tmp, which the
 * sandbox replaces with a private tmpfs, so everything they need must be shown again on purpose.
 */
describe('CLI agents in the sandbox (real bwrap)', () => {
  let root: string;
  let work: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tp-sbxcli-'));
    work = join(root, 'wt');
    mkdirSync(work);
    writeFileSync(join(root, 'prompt.md'), 'Create edited.txt\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const env = { PATH: `${STAND_INS}:${process.env.PATH}`, HOME: process.env.HOME };
  const sandbox = createSandbox({ mode: 'bwrap', bwrapPath: '/usr/bin/bwrap', env, hide: [] });

  it('aider reads its prompt file and writes its history into its private state folder', async () => {
    const agent = new AiderAgent({ env, sandbox });
    // As in the pipeline: the prompt file already holds the follow-up (pipeline/prompt.ts).
    writeFileSync(join(root, 'prompt.md'), 'Create edited.txt\n<<<FOLLOWUP\nlint failed\nFOLLOWUP>>>\n');
    const res = await agent.run(
      makeInput(work, { promptFile: join(root, 'prompt.md'), followUp: 'lint failed' }),
    );
    expect(res.summary).toContain('Applied edit to AIDER_RAN.txt');
    const ran = readFileSync(join(work, 'AIDER_RAN.txt'), 'utf8');
    expect(ran).toContain('<<<FOLLOWUP\nlint failed\nFOLLOWUP>>>');
    expect(ran.split('lint failed')).toHaveLength(2);
    expect(readdirSync(work)).toEqual(['AIDER_RAN.txt']);
  });

  it('kilo edits the worktree; its log outside the worktree stays in the private /tmp', async () => {
    const log = join(root, 'standin.log');
    const agent = new KiloAgent({ env: { ...env, STANDIN_LOG: log }, envNames: ['STANDIN_LOG'], sandbox });
    const res = await agent.run(makeInput(work, { promptFile: join(root, 'prompt.md') }));
    expect(res.summary).toContain('Created edited.txt.');
    expect(readFileSync(join(work, 'edited.txt'), 'utf8')).toBe('edited by stand-in\n');
    expect(() => readFileSync(log)).toThrow();
  });
});
