export { defaultConfig, renderConfigDocs } from './docs.js';
export {
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  resolveFolders,
  type Secrets,
  secretValues,
  unknownKeys,
} from './load.js';
export { type Config, type ConfigInput, configSchema } from './schema.js';
export {
  NOTIFICATION_EVENTS,
  type NotificationEventName,
  notificationChannelSchema,
} from './schema-ops.js';
export { REVIEW_CATEGORIES, SEVERITIES } from './schema-runs.js';
