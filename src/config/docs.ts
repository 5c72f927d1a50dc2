import { z } from 'zod';
import { configSchema } from './schema.js';

interface JsonNode {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonNode>;
  enum?: unknown[];
  items?: JsonNode;
}

function typeOf(node: JsonNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (node.type === 'array') return `${node.items?.type ?? 'any'}[]`;
  return node.type ?? 'any';
}

function rows(node: JsonNode, prefix: string, out: string[]): void {
  for (const [key, p] of Object.entries(node.properties ?? {})) {
    if (p.properties) {
      rows(p, `${prefix}.${key}`, out);
      continue;
    }
    const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default).replaceAll('|', '\\|')}\``;
    out.push(
      `| \`${prefix}.${key}\` | ${typeOf(p)} | ${def} | ${(p.description ?? '').replaceAll('|', '\\|')} |`,
    );
  }
}

/** Renders the configuration reference (Markdown) from the schema, so docs never drift. */
export function renderConfigDocs(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input' }) as JsonNode;
  const out = [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `ticket-processor config --docs`.',
    '',
  ];
  for (const [section, node] of Object.entries(root.properties ?? {})) {
    out.push(`## \`${section}\``, '');
    if (node.description) out.push(node.description, '');
    if (Object.keys(node.properties ?? {}).length === 0) continue;
    out.push('| Key | Type | Default | Description |', '|---|---|---|---|');
    rows(node, section, out);
    out.push('');
  }
  return out.join('\n');
}

/** A complete config.json with every default, as `init` writes it. */
export function defaultConfig(): unknown {
  return configSchema.parse({});
}
