export { GITHUB_SCOPE_HINT, githubError } from './errors.js';
export { GitHubForge, type GitHubForgeOptions, githubApiUrl } from './github-forge.js';
