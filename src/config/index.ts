export { defaultConfig, renderConfigDocs } from './docs.js';
export {
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  type Secrets,
  secretValues,
  unknownKeys,
} from './load.js';
export { type Config, type ConfigInput, configSchema, RESERVED_SECTIONS } from './schema.js';
export { REVIEW_CATEGORIES, SEVERITIES } from './schema-runs.js';
