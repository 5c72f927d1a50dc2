/*
 * Model names arrive in several spellings: `ollama/deepseek-coder` (the original tool's
 * provider prefix), `deepseek-coder` and `deepseek-coder:latest`. Ollama itself treats an
 * untagged name as `:latest`, so matching against /api/tags must do the same.
 */

/** `ollama/` (the original tool's spelling) and `ollama_chat/` (aider's). */
const PROVIDER_PREFIX = /^ollama(?:_chat)?\//i;

/**
 * Strips the provider prefix (`ollama/`, `ollama_chat/`) and surrounding whitespace; the tag is
 * kept as written. The one model-name stripper: agents add their own prefix to the result.
 */
export function stripProvider(model: string): string {
  return model.trim().replace(PROVIDER_PREFIX, '');
}

/** The name Ollama resolves a model to: no provider prefix, `:latest` when untagged. */
export function canonicalModel(model: string): string {
  const bare = stripProvider(model);
  // A tag follows the last ':' after the last '/', so a registry port (host:5000/x) is not a tag.
  const lastSegment = bare.slice(bare.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? bare : `${bare}:latest`;
}

/** True when two spellings name the same Ollama model. */
export function sameModel(a: string, b: string): boolean {
  return canonicalModel(a) === canonicalModel(b);
}
