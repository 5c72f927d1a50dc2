import { TpError } from '../errors/index.js';

/**
 * The clone URL a forge reported, with any user info removed: credentials travel only in the
 * per-command push header, never in a URL that git would store in .git/config.
 */
export function cleanCloneUrl(reported: string | undefined, forge: string, repo: string): string {
  if (!reported) {
    throw new TpError(`${forge} did not report a clone URL for ${repo}.`, {
      code: 'FORGE_NOT_FOUND',
      hint: 'Run ensureRepo first, or check forge.owner and forge.repo.',
    });
  }
  const url = new URL(reported);
  url.username = '';
  url.password = '';
  return url.toString();
}
