import { afterEach, describe, expect, it } from 'vitest';
import { SIMULATED_MODEL, startSimulatedOllama } from '../../../src/demo/simulated-ollama.js';
import { type ChatMessage, OllamaModelClient } from '../../../src/models/index.js';

// The demo's own simulated Ollama, read through the real client the app uses.
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function client(): Promise<OllamaModelClient> {
  const sim = await startSimulatedOllama();
  close = () => sim.close();
  return new OllamaModelClient({ host: sim.url });
}

const ticket = (title: string): ChatMessage[] => [
  { role: 'system', content: 'You are a coding agent.' },
  { role: 'user', content: `Title: ${title}\nDescription: ...` },
];

describe('the demo simulated Ollama', () => {
  it('answers version, tags and show in the shapes the client reads', async () => {
    const c = await client();
    expect(await c.version()).toBeTruthy();
    expect((await c.list()).map((m) => m.name)).toEqual([SIMULATED_MODEL]);
    const info = await c.show(`ollama/${SIMULATED_MODEL}`);
    expect(info.contextLength).toBe(32_768);
    expect(info.capabilities).toContain('tools');
    await expect(c.load(SIMULATED_MODEL, '1m')).resolves.toMatchObject({ doneReason: 'load' });
  });

  it('scripts a read, a patch and a finish for a demo ticket as streamed native tool calls', async () => {
    const c = await client();
    const messages = ticket('Add a subtract function');
    const first = await c.chat({ model: SIMULATED_MODEL, messages, numCtx: 8_192 });
    expect(first.toolCalls).toEqual([{ name: 'read_file', arguments: { path: 'src/math.js' } }]);
    expect(first.promptTokens).toBeGreaterThan(0);
    messages.push({ role: 'tool', content: 'export function add…' });
    const second = await c.chat({ model: SIMULATED_MODEL, messages, numCtx: 8_192 });
    expect(second.toolCalls[0]?.name).toBe('apply_patch');
    messages.push({ role: 'tool', content: 'patched' });
    const third = await c.chat({ model: SIMULATED_MODEL, messages, numCtx: 8_192 });
    expect(third.toolCalls[0]).toMatchObject({ name: 'finish' });
    expect(JSON.stringify(third.toolCalls[0]?.arguments)).toContain('[simulation]');
  });

  it('finishes at once on a ticket it has no script for, and refuses other models', async () => {
    const c = await client();
    const reply = await c.chat({
      model: SIMULATED_MODEL,
      messages: ticket('Rewrite it in Rust'),
      numCtx: 8_192,
    });
    expect(reply.toolCalls).toEqual([
      { name: 'finish', arguments: { summary: 'The simulation has no script for this ticket.' } },
    ]);
    await expect(c.show('llama3.1:8b')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
