export { GITLAB_SCOPE_HINT, gitlabError } from './errors.js';
export { GitLabForge, type GitLabForgeOptions, gitlabHost } from './gitlab-forge.js';
