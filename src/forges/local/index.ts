export { LocalForge, type LocalForgeOptions } from './local-forge.js';
