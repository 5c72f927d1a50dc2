import { TpError } from '../../errors/index.js';

const TITLE_TAG = /\[\s*Task\s+#?(\d+)\s*\]/i;

/**
 * Which task a pull request belongs to: the `[Task 42]` tag that the default
 * `git.prTitle` template writes, else the first group of `extractRegex`
 * (`taskIdFormat.extractRegex`, default `task-(\d+)`) matched against the branch, then
 * against the title. The id is returned as written, so it matches the file-name id.
 * Returns `undefined` for pull requests that are not ours.
 *
 * @throws TpError CONFIG_INVALID when `extractRegex` is not a valid regular expression.
 */
export function taskIdFromPullRequest(
  title: string,
  branch: string,
  extractRegex: string,
): string | undefined {
  const tagged = TITLE_TAG.exec(title)?.[1];
  if (tagged) return tagged;
  let re: RegExp;
  try {
    re = new RegExp(extractRegex);
  } catch (err) {
    throw new TpError(`taskIdFormat.extractRegex is not a valid regular expression: ${extractRegex}`, {
      code: 'CONFIG_INVALID',
      cause: err,
      hint: 'Set taskIdFormat.extractRegex to a regex whose first group is the id, e.g. "task-(\\d+)".',
    });
  }
  // A customised prTitle template may still carry the id in the branch-name form.
  return (branch ? re.exec(branch)?.[1] : undefined) || re.exec(title)?.[1] || undefined;
}
