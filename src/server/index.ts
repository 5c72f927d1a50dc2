export {
  createMemoryDeliveryStore,
  type DeliveryStore,
  type MemoryDeliveryStoreOptions,
} from './delivery-store.js';
export { createServer, type TpServer } from './server.js';
export type {
  ForgeEventContext,
  HealthReport,
  OllamaHealthReport,
  ServerDeps,
  WebhookOutcome,
} from './types.js';
