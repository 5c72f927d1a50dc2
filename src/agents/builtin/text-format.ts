import type { Edit } from './edits.js';
import { parseFence, pathFromHeader, readFencedBlock } from './whole-file.js';

/** What a text-mode reply asked for. `errors` non-empty means the reply must be rejected whole. */
export interface ParsedReply {
  edits: Edit[];
  errors: string[];
  /** The model ended with a `DONE` line; the text after `DONE:` (or the prose) is its summary. */
  done: boolean;
  summary: string;
  /** Files the model asked to see (`READ: path` lines). */
  reads: string[];
}

const SEARCH = /^\s*<{5,9} ?SEARCH\s*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE = /^\s*>{5,9} ?REPLACE\s*$/;
const FENCE = /^\s*(`{3,}|~{3,})[^`]*$/;
const FILE_LINE = /^\s*(?:[#*>\s]*)(?:FILE|File|file)\s*:\s*(.+?)\s*$/;
const DONE_LINE = /^\s*\**DONE\**\s*(?::\s*(.*))?$/;
const READ_LINE = /^\s*READ\s*:\s*`?([^\s`]+)`?\s*$/;

/** The edit format taught to models without tool calling, repeated in the system prompt. */
export const TEXT_FORMAT_HELP = `To change a file, use a SEARCH/REPLACE block: the file path alone on a line, then
<<<<<<< SEARCH
(exact lines currently in the file)
=======
(the new lines)
>>>>>>> REPLACE
To create a file, use an empty SEARCH section. To rewrite a whole file, write
FILE: path/to/file
\`\`\`
(complete new content)
\`\`\`
(use four backticks if the content itself contains three). To see a file that is not shown, reply
with a line \`READ: path/to/file\` (one per file). When the task is complete, end your reply with a
line \`DONE: <one-line summary>\`.`;

/**
 * Parses whole-file and SEARCH/REPLACE blocks from a model reply. A block that is opened but
 * not properly closed is an error, never a guess: the caller rejects the reply and asks again.
 */
export function parseTextReply(reply: string): ParsedReply {
  const lines = reply.replace(/\r\n/g, '\n').split('\n');
  const edits: Edit[] = [];
  const errors: string[] = [];
  const prose: string[] = [];
  const reads: string[] = [];
  let done = false;
  let summary = '';
  let lastPath: string | undefined;
  // The closing line of a fenced block that is not a whole-file block, so it is not mistaken
  // for the opening of the next one.
  let closer = -1;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const file = FILE_LINE.exec(line);
    if (file) {
      const next = (lines[i + 1] ?? '').trim() === '' ? lines[i + 2] : lines[i + 1];
      if (!pathFromHeader(line)) {
        errors.push(`line ${i + 1}: "FILE:" needs one relative file path (no spaces, colons or quotes)`);
      } else if (!FENCE.test(next ?? '')) {
        errors.push(`line ${i + 1}: "FILE:" must be followed by a fenced block with the complete content`);
      }
      // The fence below reads this header when its turn comes.
      continue;
    }
    const fence = i === closer ? undefined : parseFence(line);
    if (fence) {
      const block = readFencedBlock(lines, i, fence);
      if (block.kind === 'write') {
        edits.push({ kind: 'write', path: block.path, content: block.content });
        lastPath = block.path;
        i = block.end;
        continue;
      }
      if (block.kind === 'error') {
        errors.push(block.message);
        if (block.end === -1) break;
        i = block.end;
        continue;
      }
      closer = block.end;
    }
    if (SEARCH.test(line)) {
      const path = pathAbove(lines, i) ?? lastPath;
      const divider = findLine(lines, i + 1, DIVIDER, SEARCH);
      const end = divider === -1 ? -1 : findLine(lines, divider + 1, REPLACE, SEARCH);
      if (!path) errors.push(`line ${i + 1}: SEARCH block without a file path on the line above`);
      if (divider === -1 || end === -1) {
        errors.push(`line ${i + 1}: SEARCH block is not complete (needs ======= and >>>>>>> REPLACE)`);
        break;
      }
      if (path) {
        edits.push({
          kind: 'replace',
          path,
          search: joinBlock(lines.slice(i + 1, divider)),
          replace: joinBlock(lines.slice(divider + 1, end)),
        });
        lastPath = path;
      }
      i = end;
      continue;
    }
    if (DIVIDER.test(line) || REPLACE.test(line)) {
      errors.push(`line ${i + 1}: "${line.trim()}" outside a SEARCH block`);
      continue;
    }
    const r = READ_LINE.exec(line);
    if (r) {
      reads.push(r[1]!);
      continue;
    }
    const d = DONE_LINE.exec(line);
    if (d) {
      done = true;
      summary = (d[1] ?? '').trim();
      continue;
    }
    prose.push(line);
  }
  if (!summary) summary = prose.join('\n').trim().slice(0, 500);
  return { edits, errors, done, summary, reads };
}

function joinBlock(block: string[]): string {
  return block.length ? `${block.join('\n')}\n` : '';
}

function findLine(lines: string[], from: number, want: RegExp, stopAt: RegExp): number {
  for (let k = from; k < lines.length; k++) {
    if (want.test(lines[k]!)) return k;
    if (stopAt.test(lines[k]!)) return -1;
  }
  return -1;
}

/** The path is the nearest line above the SEARCH marker that looks like one, skipping fences. */
function pathAbove(lines: string[], at: number): string | undefined {
  for (let k = at - 1; k >= 0 && k >= at - 3; k--) {
    const raw = lines[k]!;
    if (raw.trim() === '' || FENCE.test(raw)) continue;
    if (REPLACE.test(raw)) return undefined;
    return cleanPath(raw);
  }
  return undefined;
}

function cleanPath(raw: string): string | undefined {
  const p = raw
    .trim()
    .replace(/^#+\s*/, '')
    .replace(/^(?:FILE|File|file|Path|path)\s*:\s*/, '')
    .replace(/^[*`'"]+|[*`'":]+$/g, '')
    .trim();
  if (!p || /\s/.test(p) || p.length > 300) return undefined;
  return p;
}
