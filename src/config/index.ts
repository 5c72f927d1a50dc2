export { defaultConfig, renderConfigDocs } from './docs.js';
export {
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  type Secrets,
  secretValues,
  unknownKeys,
} from './load.js';
export { type Config, type ConfigInput, configSchema } from './schema.js';
