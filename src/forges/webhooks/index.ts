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
  signGitea,
  signGithub,
  type VerifyFailure,
  type VerifyResult,
  verifyGitea,
  verifyGithub,
  verifyGitlab,
} from './verify.js';
