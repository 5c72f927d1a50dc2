import type { Config, LoadedConfig } from '../../config/index.js';
import { TpError } from '../../errors/index.js';
import type { EventBus } from '../../events/index.js';
import type { TaskSource } from '../../intake/types.js';
import type { ModelSelector } from '../../models/selection/index.js';
import type { Logger } from '../../observability/index.js';
import type { SettleDeps } from '../../pipeline/settle.js';
import type { JobLedger, Store } from '../../store/index.js';
import type { AdmissionOptions } from '../queue-set.js';
import { Coordinator } from './coordinator.js';
import { BullDispatcher } from './dispatcher.js';

/**
 * Refuses settings the BullMQ backend cannot honour, before anything starts:
 * `repository.perTaskRepo` keeps each task's repository on the disk of the process that ran
 * it, and with workers that is another machine.
 */
export function assertCoordinatorConfig(config: Pick<Config, 'queue' | 'repository'>): void {
  if (config.queue.backend !== 'bullmq') return;
  if (config.repository.perTaskRepo)
    throw new TpError('repository.perTaskRepo cannot be used with queue.backend "bullmq".', {
      code: 'CONFIG_INVALID',
      retryable: false,
      hint: 'A per-task repository would live on the disk of whichever worker ran the task. Set repository.url (one target repository for every worker), or use queue.backend "memory".',
    });
}

/** Admission in the coordinator under `queue.backend` (see `QueueSet`). */
export function admissionFor(config: Pick<Config, 'queue'>): AdmissionOptions {
  return config.queue.backend === 'bullmq'
    ? { perRepository: config.queue.perRepository, uncappedDefault: true }
    : {};
}

export interface CoordinatorBackendParts {
  store: Store & JobLedger;
  source: TaskSource;
  events: EventBus;
  logger: Logger;
  secrets: string[];
  selector: ModelSelector;
  settle: SettleDeps;
}

/** The coordinator of `queue.backend: "bullmq"`: its dispatcher and its Redis side. */
export function createCoordinatorBackend(
  loaded: LoadedConfig,
  parts: CoordinatorBackendParts,
): { dispatcher: BullDispatcher; coordinator: Coordinator } {
  const { config, baseDir } = loaded;
  const coordinator = new Coordinator(parts, {
    url: config.queue.redis.url,
    prefix: config.queue.prefix,
    reconcileIntervalMs: config.queue.reconcileIntervalMs,
    baseDir,
  });
  const dispatcher = new BullDispatcher({
    store: parts.store,
    config,
    selector: parts.selector,
    coordinator,
  });
  return { dispatcher, coordinator };
}
