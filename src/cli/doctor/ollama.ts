import type { Config } from '../../config/index.js';
import { canonicalModel, hostsFromConfig, OllamaModelClient, stripProvider } from '../../models/index.js';
import { redactUrl } from '../../secrets/index.js';
import { type Check, fail, ok, reason, warn } from './types.js';

const TIMEOUT_MS = 5_000;
const DEFAULT_HOST = 'http://127.0.0.1:11434';

/** Every model the config names, keyed by the name Ollama resolves it to, with where it is named. */
export function configuredModels(config: Config): Map<string, { name: string; sources: string[] }> {
  const out = new Map<string, { name: string; sources: string[] }>();
  const add = (model: string | undefined, source: string) => {
    if (!model?.trim()) return;
    const key = canonicalModel(model);
    const entry = out.get(key) ?? { name: stripProvider(model), sources: [] };
    entry.sources.push(source);
    out.set(key, entry);
  };
  add(config.ollama.defaultModel, 'ollama.defaultModel');
  const addAll = (list: readonly string[], key: string) => {
    for (const [i, m] of list.entries()) add(m, `${key}[${i}]`);
  };
  addAll(config.ollama.fallbackModels, 'ollama.fallbackModels');
  if (config.codeReview.enabled) add(config.codeReview.model, 'codeReview.model');
  for (const [tier, list] of Object.entries(config.modelSelection.tiers))
    addAll(list, `modelSelection.tiers.${tier}`);
  for (const [name, list] of Object.entries(config.modelSelection.profiles))
    addAll(list, `modelSelection.profiles.${name}`);
  return out;
}

interface HostState {
  url: string;
  /** Models this host is limited to (`ollama.hosts[i].models`), canonical. */
  only?: Set<string>;
  client: OllamaModelClient;
  /** Pulled models (canonical); undefined when the host did not answer. */
  pulled?: Set<string>;
}

const pullFix = (host: string, model: string) =>
  `${host === DEFAULT_HOST ? '' : `OLLAMA_HOST=${host} `}ollama pull ${model}`;

/** Each host reachable, every configured model pulled where it may run, `ollama.numCtx` within each model's context. */
export async function checkOllama(config: Config): Promise<Check[]> {
  if (config.agent.type === 'command' && !config.codeReview.enabled)
    return [ok('ollama', 'not used (agent.type command, code review off)')];
  const checks: Check[] = [];
  const hosts: HostState[] = hostsFromConfig(config.ollama).map((h) => ({
    url: redactUrl(h.url),
    ...(h.models ? { only: new Set(h.models.map(canonicalModel)) } : {}),
    client: new OllamaModelClient({ host: h.url, requestTimeoutMs: TIMEOUT_MS }),
  }));
  await Promise.all(
    hosts.map(async (h) => {
      try {
        const version = await h.client.version();
        h.pulled = new Set((await h.client.list()).map((m) => m.name));
        checks.push(ok(`ollama ${h.url}`, `reachable, version ${version}, ${h.pulled.size} model(s) pulled`));
      } catch (err) {
        checks.push(
          fail(
            `ollama ${h.url}`,
            `not reachable: ${reason(err)}`,
            'start Ollama there (`ollama serve`), or fix ollama.host / ollama.hosts / OLLAMA_HOST',
          ),
        );
      }
    }),
  );
  // Routed models of a host must be on that host.
  for (const [i, h] of hosts.entries()) {
    if (!h.pulled || !h.only) continue;
    for (const m of h.only)
      if (!h.pulled.has(m))
        checks.push(
          fail(
            `model ${m}`,
            `not pulled on ${h.url} (ollama.hosts[${i}].models)`,
            pullFix(h.url, stripProvider(m)),
          ),
        );
  }
  const contexts = new Map<string, number | undefined>();
  for (const [model, { name, sources }] of configuredModels(config)) {
    const eligible = hosts.filter((h) => h.pulled && (!h.only || h.only.has(model)));
    const at = eligible.find((h) => h.pulled?.has(model));
    const named = `(${sources.join(', ')})`;
    if (!at) {
      if (eligible.length === 0)
        checks.push(
          warn(`model ${model}`, `not checked: no Ollama host that may serve it answered ${named}`),
        );
      else
        checks.push(
          fail(
            `model ${model}`,
            `not pulled on ${eligible.map((h) => h.url).join(', ')} ${named}`,
            pullFix(eligible[0]!.url, name),
          ),
        );
      continue;
    }
    const ctx = await at.client.show(model).then(
      (d) => d.contextLength,
      () => undefined,
    );
    contexts.set(model, ctx);
    checks.push(ok(`model ${model}`, `pulled on ${at.url}${ctx ? `, context ${ctx}` : ''} ${named}`));
  }
  const numCtx = config.ollama.numCtx;
  if (numCtx !== undefined && contexts.size > 0) {
    const tooBig = [...contexts].filter(([, c]) => c !== undefined && c < numCtx);
    const known = [...contexts.values()].filter((c): c is number => c !== undefined);
    if (tooBig.length > 0) {
      const smallest = Math.min(...tooBig.map(([, c]) => c as number));
      checks.push(
        warn(
          `num_ctx ${numCtx}`,
          `larger than the context of ${tooBig.map(([m, c]) => `${m} (${c})`).join(', ')}`,
          `set ollama.numCtx to ${smallest} or less, or remove it to derive it per model from /api/show`,
        ),
      );
    } else if (known.length > 0) {
      checks.push(
        ok(`num_ctx ${numCtx}`, `fits every pulled model (smallest context ${Math.min(...known)})`),
      );
    }
  }
  return checks;
}
