// The retry policy, Retry-After parsing and token redaction are shared by every HTTP forge.
export { type ForgeRetryOptions, forgeRetryPolicy, redact, retryAfterMs } from '../forge-retry.js';
