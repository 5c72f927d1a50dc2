import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GiteaSpecValidator } from '../fixtures/fake-gitea/index.js';

/*
 * The Gitea/Forgejo webhook samples other tests sign and replay must have the shapes a real
 * server sends: every embedded object conforms to the swagger definition of the same name.
 * Webhook payloads are not in the swagger file themselves, and real servers send `null`
 * where Swagger 2.0 cannot say "nullable", so nulls are dropped before validating.
 */

const dir = path.resolve(import.meta.dirname, '../fixtures/webhooks/gitea');
const validator = new GiteaSpecValidator();

type Json = Record<string, unknown>;
const load = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Json;

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

const payloads = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'deliveries.json');
const parts: [string, string][] = [
  ['pull_request', 'PullRequest'],
  ['repository', 'Repository'],
  ['sender', 'User'],
  ['issue', 'Issue'],
  ['comment', 'Comment'],
];

describe('Gitea/Forgejo webhook sample payloads', () => {
  it('cover merged, closed and comment events for both forges', () => {
    expect(payloads.sort()).toEqual([
      'forgejo-issue_comment-created.json',
      'forgejo-pull_request-closed.json',
      'forgejo-pull_request-merged.json',
      'gitea-issue_comment-created.json',
      'gitea-pull_request-closed.json',
      'gitea-pull_request-merged.json',
    ]);
  });

  it.each(payloads)('%s: embedded objects match the swagger definitions', (file) => {
    const body = dropNulls(load(file)) as Json;
    const problems: string[] = [];
    for (const [key, def] of parts) {
      if (body[key] !== undefined)
        problems.push(...validator.validateDefinition(def, body[key]).map((p) => `${key}: ${p}`));
    }
    expect(problems).toEqual([]);
    expect(body.repository).toBeDefined();
    expect(body.sender).toBeDefined();
  });

  it.each(['gitea', 'forgejo'])(
    '%s: merged vs closed vs comment carry what the webhook handler reads',
    (forge) => {
      const merged = load(`${forge}-pull_request-merged.json`);
      const mergedPr = merged.pull_request as Json;
      expect(merged.action).toBe('closed');
      expect(mergedPr.merged).toBe(true);
      expect(String(mergedPr.title)).toMatch(/^\[Task \d+\]/);
      expect((mergedPr.head as Json).ref).toBe(`task-${merged.number}`);

      const closed = load(`${forge}-pull_request-closed.json`);
      expect(closed.action).toBe('closed');
      expect((closed.pull_request as Json).merged).toBe(false);
      expect((closed.pull_request as Json).merged_at).toBeNull();

      const comment = load(`${forge}-issue_comment-created.json`);
      expect(comment.action).toBe('created');
      expect(comment.is_pull).toBe(true);
      expect(String((comment.comment as Json).body)).toMatch(/^@ticket-processor /);
      expect(((comment.issue as Json).pull_request as Json).merged).toBe(false);
      expect(((comment.pull_request as Json).head as Json).ref).toMatch(/^task-\d+$/);
    },
  );

  it('deliveries.json gives each payload its event headers (Forgejo sends both header families)', () => {
    const { deliveries } = load('deliveries.json') as {
      deliveries: {
        file: string;
        forge: string;
        headers: Record<string, string>;
        signatureHeaders: string[];
      }[];
    };
    expect(deliveries.map((d) => d.file).sort()).toEqual([...payloads].sort());
    expect(new Set(deliveries.map((d) => d.headers['X-Gitea-Delivery'])).size).toBe(deliveries.length);
    for (const d of deliveries) {
      const event = d.file.includes('issue_comment') ? 'issue_comment' : 'pull_request';
      expect(d.headers['X-Gitea-Event']).toBe(event);
      if (d.forge === 'forgejo') {
        expect(d.headers['X-Forgejo-Event']).toBe(event);
        expect(d.signatureHeaders).toContain('X-Forgejo-Signature');
      }
    }
  });
});
