import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  signGitea,
  signGithub,
  verifyGitea,
  verifyGithub,
  verifyGitlab,
} from '../../../src/forges/webhooks/index.js';
import { giteaSamples } from '../../fixtures/webhooks/gitea-extra/samples.js';
import { FIXTURE_SECRET, githubSamples } from '../../fixtures/webhooks/github/samples.js';
import { gitlabSamples } from '../../fixtures/webhooks/gitlab/samples.js';

const SECRET = FIXTURE_SECRET;
const hex = (body: Buffer | string, secret = SECRET) =>
  createHmac('sha256', secret).update(body).digest('hex');

describe('verifyGitea', () => {
  const merged = giteaSamples()['pull_request.closed.merged']!;

  it('accepts the checked-in signed sample over its raw bytes', () => {
    expect(verifyGitea(merged.body, merged.headers, SECRET)).toEqual({ ok: true });
  });

  it('accepts X-Forgejo-Signature alone', () => {
    const headers = { 'x-forgejo-signature': hex(merged.body) };
    expect(verifyGitea(merged.body, headers, SECRET)).toEqual({ ok: true });
  });

  it('accepts an upper-case hex signature', () => {
    const headers = { 'x-gitea-signature': hex(merged.body).toUpperCase() };
    expect(verifyGitea(merged.body, headers, SECRET).ok).toBe(true);
  });

  it('rejects a signature computed over re-serialised JSON (different whitespace)', () => {
    const reserialised = JSON.stringify(JSON.parse(merged.body.toString('utf8')));
    expect(reserialised).not.toBe(merged.body.toString('utf8'));
    const headers = { 'x-gitea-signature': hex(reserialised) };
    expect(verifyGitea(merged.body, headers, SECRET)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a signature computed over the same keys in a different order', () => {
    const raw = Buffer.from('{"b":2,"a":1}');
    const reordered = JSON.stringify({ a: 1, b: 2 });
    expect(verifyGitea(raw, { 'x-gitea-signature': hex(reordered) }, SECRET).ok).toBe(false);
    expect(verifyGitea(raw, { 'x-gitea-signature': hex(raw) }, SECRET).ok).toBe(true);
  });

  it('rejects a body changed by one byte', () => {
    const tampered = Buffer.from(merged.body);
    tampered[10] = (tampered[10]! + 1) % 256;
    expect(verifyGitea(tampered, merged.headers, SECRET)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects the wrong secret', () => {
    expect(verifyGitea(merged.body, merged.headers, 'another-secret')).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('length-checks before comparing: short, long and non-hex signatures are malformed', () => {
    const good = hex(merged.body);
    for (const sig of [good.slice(0, 63), `${good}00`, `${good.slice(0, 62)}zz`, `sha256=${good}`, '']) {
      const result = verifyGitea(merged.body, { 'x-gitea-signature': sig }, SECRET);
      expect(result.ok, sig).toBe(false);
      if (!result.ok) expect(['malformed-signature', 'missing-signature']).toContain(result.reason);
    }
  });

  it('says which part is missing', () => {
    expect(verifyGitea(merged.body, {}, SECRET)).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verifyGitea(merged.body, merged.headers, undefined)).toEqual({ ok: false, reason: 'no-secret' });
    expect(verifyGitea(merged.body, merged.headers, '')).toEqual({ ok: false, reason: 'no-secret' });
  });

  it('treats a signature header sent twice as missing (ambiguous)', () => {
    const headers = { 'x-gitea-signature': [hex(merged.body), 'deadbeef'] };
    expect(verifyGitea(merged.body, headers, SECRET)).toEqual({ ok: false, reason: 'missing-signature' });
  });

  it('signGitea produces what Gitea sends', () => {
    expect(signGitea(merged.body, SECRET)).toBe(merged.headers['x-gitea-signature']);
  });
});

describe('verifyGithub', () => {
  const samples = githubSamples();

  it('accepts every signed sample from @octokit/webhooks-examples', () => {
    for (const sample of Object.values(samples)) {
      expect(verifyGithub(sample.body, sample.headers, SECRET), sample.name).toEqual({ ok: true });
    }
  });

  it('requires the sha256= prefix', () => {
    const s = samples.ping!;
    expect(verifyGithub(s.body, { 'x-hub-signature-256': hex(s.body) }, SECRET)).toEqual({
      ok: false,
      reason: 'malformed-signature',
    });
    expect(verifyGithub(s.body, { 'x-hub-signature-256': `sha1=${hex(s.body)}` }, SECRET).ok).toBe(false);
  });

  it('ignores the SHA-1 X-Hub-Signature header', () => {
    const s = samples.ping!;
    const sha1 = createHmac('sha1', SECRET).update(s.body).digest('hex');
    expect(verifyGithub(s.body, { 'x-hub-signature': `sha1=${sha1}` }, SECRET)).toEqual({
      ok: false,
      reason: 'missing-signature',
    });
  });

  it('rejects a signature over re-serialised JSON (different whitespace)', () => {
    const s = samples['pull_request.closed.merged']!;
    const pretty = Buffer.from(JSON.stringify(JSON.parse(s.body.toString()), null, 2));
    expect(verifyGithub(pretty, s.headers, SECRET)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyGithub(pretty, { 'x-hub-signature-256': signGithub(pretty, SECRET) }, SECRET).ok).toBe(true);
  });

  it('reads mixed-case header names', () => {
    const s = samples.ping!;
    const headers = { 'X-Hub-Signature-256': s.headers['x-hub-signature-256'] };
    expect(verifyGithub(s.body, headers, SECRET).ok).toBe(true);
  });
});

describe('verifyGitlab', () => {
  const mr = gitlabSamples()['merge_request.merge']!;

  it('accepts the matching token', () => {
    expect(verifyGitlab(mr.body, mr.headers, SECRET)).toEqual({ ok: true });
  });

  it('rejects a wrong token, a prefix of it and a longer one', () => {
    for (const token of ['nope', SECRET.slice(0, -1), `${SECRET}x`, SECRET.toUpperCase()]) {
      expect(verifyGitlab(mr.body, { 'x-gitlab-token': token }, SECRET), token).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
  });

  it('rejects a missing token and refuses without a secret', () => {
    expect(verifyGitlab(mr.body, {}, SECRET)).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verifyGitlab(mr.body, mr.headers, undefined)).toEqual({ ok: false, reason: 'no-secret' });
  });
});
