import { z } from 'zod';
import type { ToolSpec } from '../chat-port.js';
import { clip } from '../run-command.js';
import { applyPatch } from './apply-patch.js';
import { finish } from './finish.js';
import { listFiles } from './list-files.js';
import { readFile } from './read-file.js';
import { runCommand } from './run-command.js';
import { search } from './search.js';
import type { BuiltinTool, ToolContext, ToolOutcome } from './types.js';
import { writeFile } from './write-file.js';

export type { BuiltinTool, ToolContext, ToolOutcome } from './types.js';

/** Every tool of the built-in agent, in the order the model sees them. Adding a tool is a file plus a line here. */
export const TOOLS = [readFile, listFiles, search, writeFile, applyPatch, runCommand, finish] as const;

export type ToolName = (typeof TOOLS)[number]['name'];

const BY_NAME = new Map<string, BuiltinTool>(TOOLS.map((t) => [t.name, t]));

/** Tool definitions for `/api/chat`, generated from the same schemas that validate the calls. */
export function toolSpecs(allowList: readonly string[]): ToolSpec[] {
  return TOOLS.filter((t: BuiltinTool) => t.offered?.(allowList) ?? true).map((t: BuiltinTool) => {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(t.parameters) as Record<string, unknown>;
    const description = typeof t.description === 'string' ? t.description : t.description(allowList);
    return { type: 'function', function: { name: t.name, description, parameters } };
  });
}

/** Validates and executes one tool call; every failure becomes text the model can act on. */
export async function runTool(
  name: string,
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<ToolOutcome> {
  const tool = BY_NAME.get(name);
  if (!tool) {
    return {
      kind: 'result',
      text: `error: unknown tool "${name}". Available: ${TOOLS.map((t) => t.name).join(', ')}`,
    };
  }
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`);
    return { kind: 'result', text: `error: invalid arguments for ${name}: ${issues.join('; ')}` };
  }
  try {
    const result = await tool.execute(parsed.data, ctx);
    if (typeof result !== 'string') return result;
    return { kind: 'result', text: clip(result, ctx.maxResultChars) };
  } catch (err) {
    return { kind: 'result', text: `error: ${err instanceof Error ? err.message : String(err)}` };
  }
}
