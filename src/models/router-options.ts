import type { Config } from '../config/index.js';
import { hostsFromConfig } from './host.js';
import { retryOptionsFrom } from './retry.js';
import type { ModelRouterOptions } from './router.js';

/**
 * The router's options from the configuration (`ollama.*`, `ollama.healthCheck.*`, `retry.*`).
 * The composition root adds the listeners (`onEvent`, `onAttempt`), which connect it to the app.
 */
export function routerOptionsFrom(
  config: Pick<Config, 'ollama' | 'retry'>,
): Omit<ModelRouterOptions, 'onEvent' | 'onAttempt'> {
  const hc = config.ollama.healthCheck;
  return {
    hosts: hostsFromConfig(config.ollama),
    breaker: {
      failureThreshold: hc.failureThreshold,
      successThreshold: hc.successThreshold,
      halfOpenRequests: hc.halfOpenRequests,
      cooldownMs: hc.cooldownMs,
    },
    healthCheck: {
      enabled: hc.enabled,
      intervalMs: hc.interval,
      timeoutMs: hc.timeout,
      endpoint: hc.endpoint,
    },
    maxWaitMs: hc.maxWaitMs,
    retry: retryOptionsFrom(config),
    client: {
      keepAlive: config.ollama.keepAlive,
      ...(config.ollama.numCtx ? { numCtx: config.ollama.numCtx } : {}),
    },
  };
}
