import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Agent, AgentResult, AgentRunInput } from '../agents/types.js';

/**
 * A stand-in for a model, for the demo only and always labelled as such: it writes a small,
 * deterministic change derived from the ticket, so the rest of the pipeline (commit, push,
 * PR, review, merge) runs for real without an Ollama server.
 */
export class SimulatedAgent implements Agent {
  readonly name = 'simulation';

  async run(input: AgentRunInput): Promise<AgentResult> {
    const slug =
      input.task.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 40) || 'change';
    const file = path.join(input.workdir, 'src', `${slug}.js`);
    await mkdir(path.dirname(file), { recursive: true });
    const criteria = input.task.acceptanceCriteria.map((c) => ` * - ${c}`).join('\n');
    await writeFile(
      file,
      `/**\n * ${input.task.title} (task ${input.task.id})\n * SIMULATED CHANGE: written by the demo's simulated model, not an LLM.\n${criteria}\n */\nexport function ${camel(slug)}() {\n  return ${JSON.stringify(input.task.title)};\n}\n`,
    );
    await appendFile(
      path.join(input.workdir, 'CHANGELOG.md'),
      `- task ${input.task.id}: ${input.task.title} (simulated)\n`,
    );
    input.onOutput?.(`[simulation] wrote src/${slug}.js and CHANGELOG.md\n`);
    return {
      stopReason: 'done',
      summary: `[simulation] added src/${slug}.js`,
      outputTail: `[simulation] wrote src/${slug}.js`,
      tokens: { prompt: Math.ceil(input.prompt.length / 4), completion: 64 },
      iterations: 1,
    };
  }
}

function camel(slug: string): string {
  const s = slug.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return /^[a-z]/.test(s) ? s : `task${s}`;
}
