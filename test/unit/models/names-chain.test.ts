import { describe, expect, it } from 'vitest';
import { canonicalModel, modelChain, sameModel, stripProvider } from '../../../src/models/index.js';
import { redactUrl } from '../../../src/secrets/index.js';

describe('model names', () => {
  it.each([
    ['ollama/deepseek-coder', 'deepseek-coder', 'deepseek-coder:latest'],
    ['deepseek-coder:latest', 'deepseek-coder:latest', 'deepseek-coder:latest'],
    ['qwen2.5-coder:7b', 'qwen2.5-coder:7b', 'qwen2.5-coder:7b'],
    ['  Ollama/codellama ', 'codellama', 'codellama:latest'],
    ['ollama_chat/qwen2.5-coder:7b', 'qwen2.5-coder:7b', 'qwen2.5-coder:7b'],
    [
      'registry.local:5000/team/coder',
      'registry.local:5000/team/coder',
      'registry.local:5000/team/coder:latest',
    ],
  ])('%s → %s / %s', (input, stripped, canonical) => {
    expect(stripProvider(input)).toBe(stripped);
    expect(canonicalModel(input)).toBe(canonical);
  });

  it('treats an untagged name as :latest when comparing', () => {
    expect(sameModel('ollama/mistral', 'mistral:latest')).toBe(true);
    expect(sameModel('mistral', 'mistral:7b')).toBe(false);
  });

  it('redacts credentials from URLs', () => {
    expect(redactUrl('http://u:p@host:11434/')).toBe('http://host:11434');
    expect(redactUrl('http://host:11434')).toBe('http://host:11434');
  });
});

describe('modelChain', () => {
  const ollama = {
    defaultModel: 'ollama/deepseek-coder',
    fallbackModels: ['qwen2.5-coder:7b', 'ollama/codellama'],
    availableModels: ['ollama/deepseek-coder', 'ollama/codellama', 'ollama/mistral'],
  };

  it('orders task model, suggestions, fallbacks, available models; deduplicated, prefixes stripped', () => {
    const chain = modelChain(
      { model: 'ollama/mistral:latest', suggestedModels: ['llama3', 'qwen2.5-coder:7b'] },
      ollama,
    );
    expect(chain).toEqual(['mistral:latest', 'llama3', 'qwen2.5-coder:7b', 'codellama', 'deepseek-coder']);
  });

  it('starts with defaultModel when the task names none', () => {
    expect(modelChain({ model: undefined, suggestedModels: [] }, ollama)).toEqual([
      'deepseek-coder',
      'qwen2.5-coder:7b',
      'codellama',
      'mistral',
    ]);
  });
});
