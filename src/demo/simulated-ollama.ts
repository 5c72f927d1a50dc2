import { type SimulatedOllamaServer, type SimulatedReply, startOllamaServer } from './ollama-server.js';

/** The model the simulation serves: tool-capable, so the built-in agent runs in tools mode. */
export const SIMULATED_MODEL = 'qwen2.5-coder:7b';

interface Script {
  match: RegExp;
  edit: { path: string; search: string; replace: string };
  summary: string;
}

/** What the "model" does for each demo ticket: a read, a search/replace edit, a finish. */
const SCRIPTS: Script[] = [
  {
    match: /subtract/i,
    edit: {
      path: 'src/math.js',
      search: 'export function add(a, b) {\n  return a + b;\n}\n',
      replace:
        'export function add(a, b) {\n  return a + b;\n}\n\nexport function subtract(a, b) {\n  return a - b;\n}\n',
    },
    summary: 'Added subtract(a, b) to src/math.js next to add().',
  },
  {
    match: /document the math/i,
    edit: {
      path: 'README.md',
      search: 'A tiny project that ticket-processor changes.\n',
      replace:
        "A tiny project that ticket-processor changes.\n\n## Usage\n\n```js\nimport { add } from './src/math.js';\nadd(2, 3); // 5\n```\n",
    },
    summary: 'Added a Usage section with an add() example to README.md.',
  },
  {
    match: /multiply/i,
    edit: {
      path: 'src/math.js',
      search: 'export function subtract(a, b) {\n  return a - b;\n}\n',
      replace:
        'export function subtract(a, b) {\n  return a - b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n',
    },
    summary: 'Added multiply(a, b) after subtract() in src/math.js.',
  },
];

/**
 * A simulated Ollama for the demo, scripted to behave like a small coding model on the demo
 * tickets (read the file, patch it, finish). Clearly a simulation: it only knows these tickets.
 */
export function startSimulatedOllama(): Promise<SimulatedOllamaServer> {
  return startOllamaServer(
    { name: SIMULATED_MODEL, contextLength: 32_768, capabilities: ['completion', 'tools'] },
    (messages): SimulatedReply => {
      const ticket = messages
        .filter((m) => m.role === 'user')
        .map((m) => m.content)
        .join('\n');
      // Match on the ticket's title only: the repository context may mention other tickets' work.
      const title = /^Title: (.*)$/m.exec(ticket)?.[1] ?? '';
      const script = SCRIPTS.find((s) => s.match.test(title));
      const toolTurns = messages.filter((m) => m.role === 'tool').length;
      if (!script)
        return {
          toolCalls: [
            { name: 'finish', arguments: { summary: 'The simulation has no script for this ticket.' } },
          ],
        };
      if (toolTurns === 0)
        return {
          content: 'Reading the file first.',
          toolCalls: [{ name: 'read_file', arguments: { path: script.edit.path } }],
        };
      if (toolTurns === 1)
        return { toolCalls: [{ name: 'apply_patch', arguments: { edits: [script.edit] } }] };
      return { toolCalls: [{ name: 'finish', arguments: { summary: `[simulation] ${script.summary}` } }] };
    },
  );
}
