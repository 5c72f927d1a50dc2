export { BASE_ENV_NAMES, buildChildEnv, type ChildEnvOptions } from './child-env.js';
export { findExecutable, isExecutableFile } from './executable.js';
export {
  cacheFromGitFile,
  createSandbox,
  isWithin,
  noSandbox,
  type ProcessSandbox,
  type SandboxMode,
  type SandboxOptions,
  type WrapOptions,
} from './process-sandbox.js';
export { createProjectSandbox, type ProjectPaths, projectHidePaths } from './project.js';
