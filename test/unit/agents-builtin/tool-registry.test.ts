import { describe, expect, it } from 'vitest';
import { TOOLS, toolSpecs } from '../../../src/agents/builtin/tools/index.js';

describe('built-in tool registry', () => {
  it('offers every tool once, in order, each with an object schema and no $schema key', () => {
    const specs = toolSpecs(['npm test']);
    expect(specs.map((s) => s.function.name)).toEqual(TOOLS.map((t) => t.name));
    expect(new Set(specs.map((s) => s.function.name)).size).toBe(TOOLS.length);
    for (const s of specs) {
      expect(s.function.parameters).toMatchObject({ type: 'object' });
      expect(s.function.parameters).not.toHaveProperty('$schema');
    }
  });

  it('names the allowed commands in run_command, and leaves it out without any', () => {
    const run = toolSpecs(['npm test', 'npx tsc']).find((s) => s.function.name === 'run_command');
    expect(run?.function.description).toMatch(/Allowed: npm test; npx tsc$/);
    expect(toolSpecs([]).map((s) => s.function.name)).not.toContain('run_command');
  });
});
