import type { Config } from '../../config/index.js';
import { type Check, ok, warn } from './types.js';

/** A webhook as a forge lists it: where it posts and whether it is on. */
export interface ListedHook {
  url: string;
  active: boolean;
  events: string[];
}

/** Paths our server takes deliveries on: `webhook.path` and the per-forge `/webhook/<forge>`. */
function ourPaths(config: Config): string[] {
  return [config.webhook.path, `/webhook/${config.forge.type}`];
}

function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname.replace(/\/+$/, '') || '/';
  } catch {
    return undefined;
  }
}

/**
 * Whether one of the repository's hooks posts to us. The public address may be a proxy's,
 * so a hook counts when its path is one we serve; the host is not compared.
 */
export function checkHooks(config: Config, hooks: ListedHook[], settingsUrl: string): Check {
  const forge = config.forge.type;
  const paths = ourPaths(config);
  const ours = hooks.filter((h) => {
    const p = pathOf(h.url);
    return p !== undefined && paths.includes(p);
  });
  const example = `http://<this host>:${config.webhook.port}/webhook/${forge}`;
  const fix = `add a webhook in ${settingsUrl} posting pull request events to ${example}, with the webhook secret from .env`;
  if (ours.length === 0)
    return warn(
      'forge webhook',
      hooks.length === 0
        ? 'none configured: merged pull requests will not complete their tasks'
        : `none of the ${hooks.length} webhook(s) posts to ${paths.join(' or ')} (${hooks.map((h) => h.url).join(', ')})`,
      fix,
    );
  const active = ours.find((h) => h.active);
  if (!active) return warn('forge webhook', `${ours[0]!.url} is inactive`, `activate it in ${settingsUrl}`);
  return ok('forge webhook', `${active.url}${active.events.length ? ` (${active.events.join(', ')})` : ''}`);
}
