export { BASE_ENV_NAMES, buildChildEnv, type ChildEnvOptions } from './child-env.js';
