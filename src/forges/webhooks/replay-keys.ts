import { createHash } from 'node:crypto';
import type { WebhookForge } from './headers.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const id = (v: unknown): string | undefined =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^\d+$/.test(v))
    ? String(v)
    : undefined;

/**
 * The identity of the event a GitHub- or Gitea-style payload describes: a comment by its id,
 * a pull-request change by the PR's id, the action and the time the forge stamped on it.
 * Without a timestamp two different closes of one PR would look alike, so there is no key.
 */
function hubEventKey(json: Json): string | undefined {
  const repo = str(obj(json.repository)?.full_name)?.toLowerCase() ?? '';
  const action = str(json.action) ?? '';
  const comment = obj(json.comment);
  const commentId = id(comment?.id);
  if (commentId) return `hub:${repo}:comment:${commentId}:${action}`;
  const pr = obj(json.pull_request);
  const prId = id(pr?.id) ?? id(pr?.number);
  const at = [str(pr?.updated_at), str(pr?.merged_at), str(pr?.closed_at)];
  if (prId && at.some(Boolean)) return `hub:${repo}:pr:${prId}:${action}:${at.join('|')}`;
  return undefined;
}

/** GitLab: every hook payload carries the object's id and `updated_at` in `object_attributes`. */
function gitlabEventKey(json: Json): string | undefined {
  const attrs = obj(json.object_attributes);
  const objectId = id(attrs?.id);
  const updated = str(attrs?.updated_at);
  if (!objectId || !updated) return undefined;
  const project = str(obj(json.project)?.path_with_namespace)?.toLowerCase() ?? id(json.project_id) ?? '';
  const kind = str(json.object_kind) ?? '';
  return `gitlab:${project}:${kind}:${objectId}:${str(attrs?.action) ?? ''}:${updated}`;
}

/**
 * Replay-store keys for a verified delivery besides its delivery id, which a replayer can
 * change at will: the SHA-256 of the exact body (a captured delivery re-sent as is) and,
 * when the payload names one, the event's own identity (the same comment or PR change sent
 * again in other bytes, as a forge's redelivery can be). Gitea payloads follow GitHub's, and
 * Gitea's requests also verify on the GitHub route, so both share one key space.
 */
export function replayKeys(forge: WebhookForge, raw: Buffer, json: unknown): string[] {
  const keys = [`body:${createHash('sha256').update(raw).digest('hex')}`];
  const payload = obj(json);
  const event = payload ? (forge === 'gitlab' ? gitlabEventKey(payload) : hubEventKey(payload)) : undefined;
  if (event) keys.push(`event:${event}`);
  return keys;
}
