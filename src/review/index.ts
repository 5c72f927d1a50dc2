export { type SecretFinding, scanDiff } from './secret-scan.js';
