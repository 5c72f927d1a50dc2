export { Access, bearerMatches, tokenMatches } from './access.js';
export {
  createMemoryDeliveryStore,
  type DeliveryStore,
  type MemoryDeliveryStoreOptions,
} from './delivery-store.js';
export { createServer, type TpServer } from './server.js';
export type {
  DashboardDeps,
  ForgeEventContext,
  HealthReport,
  OllamaHealthReport,
  ServerDeps,
  SubscribeAll,
  WebhookOutcome,
} from './types.js';
