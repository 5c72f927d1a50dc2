export {
  BASE_ENV_NAMES,
  buildChildEnv,
  type ChildEnvOptions,
  commandEnv,
  NON_INTERACTIVE_ENV,
} from './child-env.js';
export { findExecutable, isExecutableFile } from './executable.js';
export { OutputTail } from './output-tail.js';
export {
  type OutputStream,
  type ProcessResult,
  type RunProcessOptions,
  runProcess,
} from './process-runner.js';
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
