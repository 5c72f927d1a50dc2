import type { Config } from '../../config/index.js';
import { canonicalModel } from '../../models/names.js';

/** How long a worker waits for one host's /api/tags at start. */
const TAGS_TIMEOUT_MS = 3_000;

/** What listing a host's models needs (the router's `hostClients()`). */
export interface TagSource {
  hostClients(): Array<{
    url: string;
    client: { list(signal?: AbortSignal): Promise<Array<{ name: string }>> };
  }>;
}

const unique = (models: Iterable<string>) => [...new Set([...models].filter(Boolean).map(canonicalModel))];

/**
 * A copy of `config` whose Ollama hosts are only `hosts` (`worker --hosts`): a host the
 * configuration describes keeps its models and weight, another one is added as it is.
 */
export function restrictHosts(config: Config, hosts: readonly string[]): Config {
  if (hosts.length === 0) return config;
  const norm = (u: string) => u.replace(/\/+$/, '');
  const known = new Map(config.ollama.hosts.map((h) => [norm(h.url), h]));
  const list = hosts.map((url) => known.get(norm(url)) ?? { url: norm(url), weight: 1 });
  return { ...config, ollama: { ...config.ollama, host: norm(hosts[0]!), hosts: list } };
}

/** The models the configuration names (default, fallbacks, available, per host, tiers, profiles). */
export function configuredModels(config: Config): string[] {
  const { ollama, modelSelection } = config;
  return unique([
    ollama.defaultModel,
    ...ollama.fallbackModels,
    ...ollama.availableModels,
    ...ollama.hosts.flatMap((h) => h.models ?? []),
    ...modelSelection.tiers.small,
    ...modelSelection.tiers.medium,
    ...modelSelection.tiers.large,
    ...Object.values(modelSelection.profiles).flat(),
  ]);
}

/**
 * The canonical models a worker serves: `models` when given (`worker --models`), else what the
 * configuration names plus what its reachable hosts list in /api/tags.
 */
export async function servedModels(
  config: Config,
  opts: { models?: readonly string[] | undefined; tags?: TagSource | undefined },
): Promise<string[]> {
  if (opts.models && opts.models.length > 0) return unique(opts.models);
  const listed = await Promise.all(
    (opts.tags?.hostClients() ?? []).map((h) =>
      h.client
        .list(AbortSignal.timeout(TAGS_TIMEOUT_MS))
        .then((ms) => ms.map((m) => m.name))
        .catch(() => [] as string[]),
    ),
  );
  return unique([...configuredModels(config), ...listed.flat()]);
}
