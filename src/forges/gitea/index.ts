export {
  type ApiRequest,
  type ApiResponse,
  apiRoot,
  GiteaApiClient,
  type GiteaApiClientOptions,
  type GiteaRetryOptions,
} from './api-client.js';
export type {
  GiteaLabel,
  GiteaPullRequest,
  GiteaPullReview,
  GiteaRepository,
  GiteaUser,
} from './api-types.js';
export { GiteaForge, type GiteaForgeOptions, labelColor } from './gitea-forge.js';
export {
  GiteaPerTaskForge,
  type GiteaPerTaskForgeOptions,
  hasPerTaskRepositories,
  type PerTaskRepositories,
  perTaskRepoName,
} from './per-task-forge.js';
