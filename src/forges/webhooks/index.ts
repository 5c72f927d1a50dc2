export {
  deliveryId,
  detectForge,
  eventName,
  header,
  type WebhookForge,
  type WebhookHeaders,
} from './headers.js';
export { parseGiteaEvent, parseGithubEvent, parseGitlabEvent } from './parse.js';
export { replayKeys } from './replay-keys.js';
export { taskIdFromPullRequest } from './task-id.js';
export {
  type SignatureCheck,
  type SignatureFailure,
  signGitea,
  signGithub,
  verifyGitea,
  verifyGithub,
  verifyGitlab,
} from './verify.js';
