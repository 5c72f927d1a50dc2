import type { z } from 'zod';
import type { ProcessSandbox } from '../../../sandbox/index.js';
import type { RepoIndex } from '../repo-index.js';
import type { AllowRule } from '../run-command.js';
import type { Sandbox } from '../sandbox.js';

export interface ToolContext {
  sandbox: Sandbox;
  index: RepoIndex;
  allowRules: readonly AllowRule[];
  allowList: readonly string[];
  commandTimeoutMs: number;
  /** Complete environment of `run_command`. */
  env: Record<string, string | undefined>;
  /** Confinement of `run_command`; undefined runs unconfined (`sandbox.mode: none`). */
  commandSandbox?: ProcessSandbox | undefined;
  signal: AbortSignal;
  /** Max characters of any single tool result. */
  maxResultChars: number;
  /** Paths written so far in this run. */
  changed: Set<string>;
  /** Budget of one regex search. Default 5 s. */
  searchTimeoutMs?: number;
}

export type ToolOutcome = { kind: 'result'; text: string } | { kind: 'finish'; summary: string };

/**
 * One tool of the built-in agent: the schema that validates its arguments (and becomes the
 * JSON schema sent to the model), its description, and what it does, in one place.
 */
export interface BuiltinTool<S extends z.ZodType = z.ZodType, N extends string = string> {
  name: N;
  /** Sent to the model; a function when it depends on the allowed commands. */
  description: string | ((allowList: readonly string[]) => string);
  parameters: S;
  /** Whether the model is offered the tool; default always. */
  offered?(allowList: readonly string[]): boolean;
  /**
   * Runs a call whose arguments `parameters` validated. A string is the result text (clipped
   * by the caller); a thrown error becomes `error: <message>` for the model.
   */
  // Method syntax on purpose: a tool of a narrower schema must fit the list of all tools.
  execute(args: z.infer<S>, ctx: ToolContext): Promise<string | ToolOutcome> | string | ToolOutcome;
}

/** Declares a tool, keeping its name and schema types for `ToolName` and `execute`. */
export function defineTool<S extends z.ZodType, N extends string>(
  tool: BuiltinTool<S, N>,
): BuiltinTool<S, N> {
  return tool;
}
