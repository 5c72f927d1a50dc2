import { Ollama } from 'ollama';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fixtures/fake-ollama/index.js';
import { parseKeepAlive } from '../fixtures/fake-ollama/loading.js';

// Contract: model loading and keep_alive as the official client sees them on a real server.

const LOAD_MS = 200;
let fake: FakeOllama;
let client: Ollama;

beforeEach(async () => {
  fake = await startFakeOllama({
    models: [
      { name: 'qwen2.5-coder:7b', contextLength: 32768 },
      { name: 'llama3.1:8b', contextLength: 131072 },
    ],
    loadDelayMs: LOAD_MS,
  });
  client = new Ollama({ host: fake.url });
});
afterEach(() => fake.close());

const psNames = async () => (await client.ps()).models.map((m) => m.name).sort();
const ask = (model: string, keep_alive?: string | number) =>
  client.generate({
    model,
    prompt: 'hi',
    stream: false,
    ...(keep_alive !== undefined ? { keep_alive } : {}),
  });

describe('fake Ollama model loading', () => {
  it('the first request for a cold model reports the load delay; the next one does not', async () => {
    const cold = await ask('qwen2.5-coder:7b');
    const warm = await ask('qwen2.5-coder:7b');
    expect(cold.load_duration).toBe(LOAD_MS * 1_000_000);
    expect(warm.load_duration).toBeLessThan(LOAD_MS * 1_000_000);
    // Loading is per model.
    const other = await client.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'x' }] });
    expect(other.load_duration).toBe(LOAD_MS * 1_000_000);
  });

  it('an empty /api/generate only loads the model, and it stays for its keep_alive', async () => {
    expect(await psNames()).toEqual([]);
    const load = await client.generate({
      model: 'qwen2.5-coder:7b',
      prompt: '',
      keep_alive: '30m',
      stream: false,
    });
    expect(load).toMatchObject({ done: true, done_reason: 'load', response: '' });
    const ps = (await client.ps()).models;
    expect(ps.map((m) => m.name)).toEqual(['qwen2.5-coder:7b']);
    const left = new Date(ps[0]!.expires_at).getTime() - Date.now();
    expect(left).toBeGreaterThan(29 * 60_000);
    expect(left).toBeLessThanOrEqual(30 * 60_000);
    // No generation happened, and the next real request finds the model resident.
    expect((await ask('qwen2.5-coder:7b')).load_duration).toBeLessThan(LOAD_MS * 1_000_000);
  });

  it('an empty chat loads too; keep_alive 0 unloads', async () => {
    const load = await client.chat({ model: 'llama3.1:8b', messages: [], keep_alive: -1 });
    expect(load).toMatchObject({ done: true, done_reason: 'load' });
    const forever = (await client.ps()).models[0]!;
    expect(new Date(forever.expires_at).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    const unload = await client.generate({ model: 'llama3.1:8b', prompt: '', keep_alive: 0, stream: false });
    expect(unload.done_reason).toBe('unload');
    expect(await psNames()).toEqual([]);
    expect((await ask('llama3.1:8b')).load_duration).toBe(LOAD_MS * 1_000_000);
  });

  it('a generation with keep_alive 0 unloads the model after answering', async () => {
    await ask('qwen2.5-coder:7b', 0);
    expect(await psNames()).toEqual([]);
  });

  it('concurrent requests for a cold model share one load', async () => {
    const [a, b] = await Promise.all([ask('qwen2.5-coder:7b'), ask('qwen2.5-coder:7b')]);
    expect(a.load_duration).toBe(LOAD_MS * 1_000_000);
    expect(b.load_duration).toBe(LOAD_MS * 1_000_000);
    expect(await psNames()).toEqual(['qwen2.5-coder:7b']);
  });

  it('reads keep_alive as Ollama does', () => {
    expect(parseKeepAlive(undefined)).toBe(5 * 60_000);
    expect(parseKeepAlive('30m')).toBe(30 * 60_000);
    expect(parseKeepAlive('1h30m')).toBe(90 * 60_000);
    expect(parseKeepAlive('300ms')).toBe(300);
    expect(parseKeepAlive(60)).toBe(60_000);
    expect(parseKeepAlive('60')).toBe(60_000);
    expect(parseKeepAlive(0)).toBe(0);
    expect(parseKeepAlive('0')).toBe(0);
    expect(parseKeepAlive(-1)).toBe(-1);
    expect(parseKeepAlive('-1m')).toBe(-1);
    expect(parseKeepAlive('soon')).toBe(5 * 60_000);
  });
});
