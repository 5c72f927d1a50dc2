import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { folderContents, gitOut, makeProject, writeTask } from '../helpers/project.js';

/*
 * Issue 9, finding 8: auto-merge trusted checks that the change itself can rewrite. On the old
 * code the model set package.json's test script to `exit 0`, `npm test` passed, and the PR was
 * merged into main.
 */

const WEAKEN_TEST_SCRIPT = `cat > package.json <<'EOF'
{ "name": "demo-project", "type": "module", "scripts": { "test": "exit 0" } }
EOF
echo 'export const x = 1;' > src/x.js`;

async function run(agent: string, verify: string[]) {
  const { root, remote } = await makeProject({
    agent: { type: 'command', command: agent },
    verify: { commands: verify, maxRounds: 0 },
    ollama: { availableModels: [] },
  });
  writeTask(root, '1', { title: 'Weaken' });
  const app = await createApp(loadConfig({ cwd: root, env: {} }));
  try {
    await app.worker.start({ watch: false });
    await app.worker.idle();
    return { root, remote, prs: app.store.listPullRequests() };
  } finally {
    await app.close();
  }
}

describe('auto-merge only on checks the change did not rewrite', () => {
  it('leaves the PR open when the change edits package.json, whose test script `npm test` runs', async () => {
    const { root, remote, prs } = await run(WEAKEN_TEST_SCRIPT, ['npm test']);
    expect(prs).toHaveLength(1);
    const pr = prs[0]!;
    expect(pr.body).toContain('✅ `npm test`');
    expect(pr.state).toBe('open');
    expect(pr.body).toMatch(/not auto-merged/i);
    expect(pr.body).toContain('package.json');
    const log = readFileSync(path.join(root, 'logs/processor.log'), 'utf8');
    expect(log).toMatch(/not auto-merged.*package\.json|package\.json.*not auto-merged/i);
    expect(folderContents(root).review).toEqual(['task-1 - Weaken.md']);
    expect(folderContents(root).completed).toEqual([]);
    expect(() => gitOut(['show', 'main:src/x.js'], remote)).toThrow();
  });

  it('leaves the PR open when the change edits a script a verify command names', async () => {
    const agent = 'mkdir -p scripts && echo "exit 0" > scripts/check.sh && echo 2 > value.txt';
    const { prs } = await run(agent, ['bash scripts/check.sh']);
    expect(prs[0]?.state).toBe('open');
    expect(prs[0]?.body).toContain('scripts/check.sh');
  });

  it('leaves the PR open when the change edits CI configuration', async () => {
    const agent = 'mkdir -p .gitea/workflows && echo "on: push" > .gitea/workflows/ci.yml';
    const { prs } = await run(agent, ['true']);
    expect(prs[0]?.state).toBe('open');
    expect(prs[0]?.body).toContain('.gitea/workflows/ci.yml');
  });

  it('still merges a change that passed checks it did not touch', async () => {
    const { root, remote, prs } = await run('echo "export const y = 2;" > src/y.js', ['test -f src/y.js']);
    expect(prs[0]?.state).toBe('merged');
    expect(folderContents(root).completed).toEqual(['task-1 - Weaken.md']);
    expect(gitOut(['show', 'main:src/y.js'], remote)).toBe('export const y = 2;');
  });
});
