export {
  type BreakerOptions,
  type BreakerPermit,
  type BreakerTransition,
  CircuitBreaker,
} from './breaker.js';
export {
  type CachedChatResult,
  type CacheEvents,
  type CacheStore,
  cacheKey,
  createResponseCache,
  hashInputs,
  isDeterministic,
  type ResponseCache,
  type ResponseCacheOptions,
} from './cache.js';
export { classifyModelError, isHostFailure, type ModelErrorContext } from './classify-model-error.js';
export {
  type FailedModelAttempt,
  type FallbackResult,
  failedAttempts,
  type ModelAttempt,
  type ModelChainOptions,
  type ModelSkippedEvent,
  modelChain,
  type RouterEvent,
  type SkippedModel,
} from './fallback.js';
export type { HealthCheckOptions } from './health.js';
export { type HostConfig, type HostHealth, hostsFromConfig, type ProbeEndpoint } from './host.js';
export { canonicalModel, sameModel, stripProvider } from './names.js';
export { type OllamaClientOptions, OllamaModelClient } from './ollama-client.js';
export {
  backoffSchedule,
  jitteredGenerator,
  nominalDelay,
  type RetryConfigInput,
  type RetryEvent,
  type RetryOptions,
  retryOptionsFrom,
  withRetry,
} from './retry.js';
export { type AttemptContext, ModelRouter, type ModelRouterOptions, type RunOptions } from './router.js';
export { routerOptionsFrom } from './router-options.js';
export {
  classifyTask,
  DefaultModelSelector,
  type HostView,
  type ModelSelector,
  recordOutcome,
  type Selection,
  type SelectionContext,
  type SelectionStrategy,
  type SelectorOptions,
  type SizeBucket,
  taskKinds,
} from './selection/index.js';
export type {
  BreakerState,
  ChatChunk,
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatTimeouts,
  LoadResult,
  ModelClient,
  ModelDetails,
  ModelEvent,
  ModelEventListener,
  ModelListEntry,
  ToolCall,
  ToolDefinition,
} from './types.js';
export {
  ModelWarmUp,
  queuedFirstModels,
  rankModels,
  type WarmedModel,
  type WarmUpHost,
  type WarmUpOptions,
} from './warm-up.js';
