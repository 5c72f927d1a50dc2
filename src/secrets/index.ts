/**
 * Secrets helpers: redaction of known values and URL credentials, and the shapes of likely
 * secrets shared by the secret scan and the logger.
 */
export { redact, redactUrl } from './redact.js';
export {
  CREDENTIAL_RULE,
  FORMAT_RULES,
  redactLikelySecrets,
  SECRET_RULES,
  type SecretRule,
} from './rules.js';
