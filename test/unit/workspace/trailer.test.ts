import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_BY_TRAILER, generatedBy } from '../../../src/pipeline/stages/commit.js';
import { gitOut, makeProject } from '../../helpers/project.js';
import { testWorkspace } from '../../helpers/workspace.js';

describe('Generated-by commit trailer', () => {
  it('names the version and the model, with the digest when known', () => {
    expect(generatedBy('1.2.3', 'qwen2.5-coder:7b', 'sha256:abc123')).toBe(
      'ticket-processor 1.2.3; model=qwen2.5-coder:7b@sha256:abc123',
    );
    expect(generatedBy('1.2.3', 'ollama/llama3', undefined)).toBe(
      'ticket-processor 1.2.3; model=ollama/llama3',
    );
    expect(generatedBy('1.2.3', undefined, undefined)).toBe('ticket-processor 1.2.3; model=unknown');
  });

  it('keeps an untrusted model name on one line, in the one trailer block', async () => {
    const { root, remote } = await makeProject();
    const ws = testWorkspace(root);
    const wt = await ws.prepare(remote, 'main', 'task-9');
    writeFileSync(path.join(wt.dir, 'x.txt'), 'x');
    const evil = 'qwen\nSigned-off-by: Mallory <m@evil>\n\nInjected: yes@x';
    const value = generatedBy('0.1.0', evil, 'de\nad');
    expect(value).not.toMatch(/[\n\r]/);
    const sha = await ws.commit(wt, 'feat(task-9): thing', '9', {
      trailers: [[GENERATED_BY_TRAILER, value]],
    });
    const trailers = gitOut(['log', '-1', '--format=%(trailers:only,unfold)', sha], wt.dir);
    expect(trailers.split('\n')).toEqual([
      'Ticket-Processor-Task: 9',
      'Generated-by: ticket-processor 0.1.0; model=qwen_Signed-off-by:_Mallory__m_evil___Injected:_yes_x@dead',
    ]);
    // A value that still held a newline (another caller) is flattened, not split into trailers.
    writeFileSync(path.join(wt.dir, 'y.txt'), 'y');
    const sha2 = await ws.commit(wt, 'second', '9', { trailers: [['Generated-by', 'a\nEvil: b']] });
    expect(gitOut(['log', '-1', '--format=%(trailers:key=Evil)', sha2], wt.dir)).toBe('');
    await expect(ws.commit(wt, 'x', '9', { trailers: [['Bad Key:', 'v']] })).rejects.toThrow(/trailer key/);
    await ws.cleanup(remote, wt);
  });
});
