export { type ApplierDeps, FORWARDED_EVENTS, forwardProgress, ResultApplier } from './applier.js';
export * from './contracts.js';
export {
  admissionFor,
  assertCoordinatorConfig,
  type CoordinatorBackendParts,
  createCoordinatorBackend,
} from './coord-backend.js';
export { Coordinator, type CoordinatorDeps, type CoordinatorOptions } from './coordinator.js';
export { BullDispatcher, type BullDispatcherDeps, repoKeyOf } from './dispatcher.js';
export { CoordinatorLease, LEASE_RENEW_MS, LEASE_TTL_MS, leaseOwner } from './lease.js';
export { listTaskQueues, listWorkers, publishWorker, removeWorker } from './registry.js';
