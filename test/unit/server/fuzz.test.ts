import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { giteaSamples } from '../../fixtures/webhooks/gitea-extra/samples.js';
import { FIXTURE_SECRET, githubSamples, type RawSample } from '../../fixtures/webhooks/github/samples.js';
import { gitlabSamples } from '../../fixtures/webhooks/gitlab/samples.js';
import { harness } from './helpers.js';

type Forge = 'gitea' | 'github' | 'gitlab';
type Headers = Record<string, string | string[]>;
interface Req {
  url: string;
  payload: Buffer;
  headers: Headers;
}
interface Case {
  category: string;
  req: Req;
  status: number;
  /** The handler must be called for this request. */
  handled: boolean;
}

const MAX_BODY = 32 * 1024;
const ALLOWED = new Set([200, 202, 400, 401, 413, 415]);

/** mulberry32: small, seedable, good enough to pick cases reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

// Which samples map to an event the handler receives (the rest are answered 202 ignored).
// Written out by hand so the expectation does not come from the parser under test.
const HANDLED: Record<string, boolean> = {
  'gitea:pull_request.closed.merged': true,
  'gitea:pull_request.closed.unmerged': true,
  'gitea:issue_comment.pull_request_comment.created': true,
  'gitea:push': false,
  'github:pull_request.closed.merged': true,
  'github:pull_request.closed.unmerged': true,
  'github:issue_comment.created.pull_request': true,
  'github:issue_comment.created.issue': false,
  'github:ping': true,
  'gitlab:merge_request.merge': true,
  'gitlab:merge_request.close': true,
  'gitlab:note.merge_request': true,
  'gitlab:note.issue': false,
  'gitlab:push': false,
};

// Samples that describe the same event (the fixtures derive the PR comment from the issue
// comment, keeping its id), so the second to arrive is a duplicate however it is addressed.
const SAME_EVENT: Record<string, string> = {
  'github:issue_comment.created.issue': 'github:comment',
  'github:issue_comment.created.pull_request': 'github:comment',
  'gitlab:note.issue': 'gitlab:note',
  'gitlab:note.merge_request': 'gitlab:note',
};

interface Entry {
  forge: Forge;
  sample: RawSample;
  handled: boolean;
  /** What makes two deliveries the same event: the body, or the shared id above. */
  identity: string;
}

function pool(): Entry[] {
  const out: Entry[] = [];
  const add = (forge: Forge, samples: Record<string, RawSample>) => {
    for (const sample of Object.values(samples)) {
      const handled = HANDLED[`${forge}:${sample.name}`];
      if (handled === undefined) throw new Error(`no expectation for ${forge}:${sample.name}`);
      const key = `${forge}:${sample.name}`;
      out.push({ forge, sample, handled, identity: SAME_EVENT[key] ?? sample.body.toString('base64') });
    }
  };
  add('gitea', giteaSamples());
  add('github', githubSamples());
  add('gitlab', gitlabSamples());
  expect(out).toHaveLength(Object.keys(HANDLED).length);
  return out;
}

const SIGNATURE_HEADERS = [
  'x-gitea-signature',
  'x-forgejo-signature',
  'x-hub-signature-256',
  'x-gitlab-token',
];
const isDeliveryHeader = (k: string) => /delivery$|^idempotency-key$|event-uuid$/.test(k);

function withDelivery(headers: Headers, id: string | undefined): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers)) {
    if (isDeliveryHeader(k)) {
      if (id !== undefined) out[k] = id;
    } else out[k] = v;
  }
  return out;
}

/** Signs `body` the way `forge` does, with `secret`. */
function signed(forge: Forge, headers: Headers, body: Buffer, secret = FIXTURE_SECRET): Headers {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  const out = { ...headers };
  if (forge === 'gitea') {
    out['x-gitea-signature'] = hex;
    if ('x-forgejo-signature' in out) out['x-forgejo-signature'] = hex;
    out['x-hub-signature-256'] = `sha256=${hex}`;
  } else if (forge === 'github') out['x-hub-signature-256'] = `sha256=${hex}`;
  else out['x-gitlab-token'] = secret;
  return out;
}

function generate(seed: number, count: number): Case[] {
  const r = prng(seed);
  const entries = pool();
  const cases: Case[] = [];
  const sentWithId: Req[] = [];
  const unusedRejectedIds: string[] = [];
  // Events already delivered once (signed, with an id, valid JSON): any copy is a duplicate.
  const seenEvents = new Set<string>();
  const firstTime = (identity: string) => {
    const fresh = !seenEvents.has(identity);
    seenEvents.add(identity);
    return fresh;
  };
  let n = 0;
  const freshId = () => `fuzz-${seed}-${n++}`;
  const route = (forge: Forge) => (r.next() < 0.5 ? '/webhook' : `/webhook/${forge}`);

  const categories: Array<[number, () => Case]> = [
    [
      20,
      () => {
        // A valid first-time delivery; sometimes reusing an id that only rejected requests
        // carried before, which must not have been recorded as seen.
        const e = r.pick(entries);
        const id = unusedRejectedIds.length > 0 && r.next() < 0.3 ? unusedRejectedIds.pop()! : freshId();
        const req = {
          url: route(e.forge),
          payload: e.sample.body,
          headers: withDelivery(e.sample.headers, id),
        };
        sentWithId.push(req);
        // A new delivery id does not make a delivered event new again.
        const handled = firstTime(e.identity) && e.handled;
        return { category: 'valid', req, status: handled ? 200 : 202, handled };
      },
    ],
    [
      4,
      () => {
        const e = r.pick(entries);
        const req = {
          url: route(e.forge),
          payload: e.sample.body,
          headers: withDelivery(e.sample.headers, undefined),
        };
        // Signed but unnamed: refused, since it cannot be told apart from a replay.
        return { category: 'valid-no-id', req, status: 400, handled: false };
      },
    ],
    [
      12,
      () => {
        if (sentWithId.length === 0) return cases.length ? cases[0]! : make('valid');
        const req = r.pick(sentWithId);
        return { category: 'replay', req, status: 202, handled: false };
      },
    ],
    [
      10,
      () => {
        const e = r.pick(entries);
        const id = freshId();
        unusedRejectedIds.push(id);
        const secret = r.next() < 0.5 ? 'wrong-secret' : `${FIXTURE_SECRET}x`;
        const headers = signed(e.forge, withDelivery(e.sample.headers, id), e.sample.body, secret);
        return {
          category: 'bad-signature',
          req: { url: route(e.forge), payload: e.sample.body, headers },
          status: 401,
          handled: false,
        };
      },
    ],
    [
      6,
      () => {
        const e = r.pick(entries);
        const headers = withDelivery(e.sample.headers, freshId());
        for (const h of SIGNATURE_HEADERS) delete headers[h];
        return {
          category: 'missing-signature',
          req: { url: route(e.forge), payload: e.sample.body, headers },
          status: 401,
          handled: false,
        };
      },
    ],
    [
      6,
      () => {
        // GitLab signs nothing but its token, so tampering is only detectable for HMAC forges.
        const e = r.pick(entries.filter((x) => x.forge !== 'gitlab'));
        const body = Buffer.from(e.sample.body);
        const i = r.int(body.length);
        body[i] = body[i]! ^ (1 + r.int(255));
        const headers = withDelivery(e.sample.headers, freshId());
        return {
          category: 'tampered-body',
          req: { url: route(e.forge), payload: body, headers },
          status: 401,
          handled: false,
        };
      },
    ],
    [
      8,
      () => {
        const e = r.pick(entries);
        const body = e.sample.body.subarray(0, r.int(e.sample.body.length));
        const resign = r.next() < 0.5;
        const base = withDelivery(e.sample.headers, freshId());
        const headers = resign ? signed(e.forge, base, body) : base;
        // A truncated JSON object never parses; with the original HMAC it fails verification first.
        const status = resign || e.forge === 'gitlab' ? 400 : 401;
        return {
          category: resign ? 'truncated-signed' : 'truncated',
          req: { url: route(e.forge), payload: body, headers },
          status,
          handled: false,
        };
      },
    ],
    [
      6,
      () => {
        const e = r.pick(entries);
        const body = Buffer.concat([
          e.sample.body,
          Buffer.alloc(MAX_BODY - e.sample.body.length + 1 + r.int(4096), 0x20),
        ]);
        const headers = signed(e.forge, withDelivery(e.sample.headers, freshId()), body);
        return {
          category: 'oversized',
          req: { url: route(e.forge), payload: body, headers },
          status: 413,
          handled: false,
        };
      },
    ],
    [
      8,
      () => {
        const e = r.pick(entries);
        const junk = Array.from({ length: 1 + r.int(300) }, () => String.fromCharCode(32 + r.int(95))).join(
          '',
        );
        const body = Buffer.from(`<not json> ${junk}`);
        const sign = r.next() < 0.7;
        const base = withDelivery(e.sample.headers, freshId());
        const headers = sign ? signed(e.forge, base, body) : base;
        const status = sign || e.forge === 'gitlab' ? 400 : 401;
        return {
          category: 'non-json',
          req: { url: route(e.forge), payload: body, headers },
          status,
          handled: false,
        };
      },
    ],
    [
      8,
      () => {
        const e = r.pick(entries);
        const headers: Headers = signed(e.forge, withDelivery(e.sample.headers, freshId()), e.sample.body);
        const type = r.pick([
          'text/plain',
          'application/xml',
          'text/html',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'image/png',
          'application/jsonp',
          '',
        ]);
        if (type === '') delete headers['content-type'];
        else headers['content-type'] = type;
        return {
          category: 'wrong-content-type',
          req: { url: route(e.forge), payload: e.sample.body, headers },
          status: 415,
          handled: false,
        };
      },
    ],
    [
      5,
      () => {
        const e = r.pick(entries.filter((x) => x.forge !== 'gitlab'));
        const obj = JSON.parse(e.sample.body.toString('utf8')) as unknown;
        const pretty = Buffer.from(JSON.stringify(obj, null, 2));
        const compact = Buffer.from(JSON.stringify(obj));
        // What a server that re-serialises the parsed body would compute, sent with other bytes.
        const headers = signed(e.forge, withDelivery(e.sample.headers, freshId()), compact);
        return {
          category: 'reserialised-signature',
          req: { url: route(e.forge), payload: pretty, headers },
          status: 401,
          handled: false,
        };
      },
    ],
    [
      10,
      () => {
        const e = r.pick(entries);
        const other = r.pick((['gitea', 'github', 'gitlab'] as const).filter((f) => f !== e.forge));
        // Gitea also sends X-Hub-Signature-256, so its requests verify on the GitHub route.
        const crossOk = e.forge === 'gitea' && other === 'github';
        const id = freshId();
        const req = {
          url: `/webhook/${other}`,
          payload: e.sample.body,
          headers: withDelivery(e.sample.headers, id),
        };
        if (crossOk) {
          // Gitea's payloads are GitHub-compatible, so the GitHub parser reads them the same way.
          const handled = firstTime(e.identity) && e.handled;
          return { category: 'cross-route', req, status: handled ? 200 : 202, handled };
        }
        return { category: 'wrong-route', req, status: 401, handled: false };
      },
    ],
    [
      3,
      () => {
        const e = r.pick(entries);
        const headers: Headers = { 'content-type': 'application/json' };
        return {
          category: 'no-forge-headers',
          req: { url: '/webhook', payload: e.sample.body, headers },
          status: 401,
          handled: false,
        };
      },
    ],
    [
      4,
      () => {
        const e = r.pick(entries);
        const body = Buffer.from(
          r.pick([
            '[1,2,3]',
            'null',
            '"text"',
            '{}',
            '42',
            '{"action":"closed"}',
            '{"object_kind":"merge_request"}',
          ]),
        );
        const headers = signed(e.forge, withDelivery(e.sample.headers, freshId()), body);
        // A ping is named by its header alone, so any JSON body is still a ping; the body is
        // remembered whatever forge signed it, so each odd body is new only once.
        const fresh = firstTime(body.toString('base64'));
        const ping = fresh && e.forge === 'github' && e.sample.name === 'ping';
        return {
          category: 'odd-json',
          req: { url: route(e.forge), payload: body, headers },
          status: ping ? 200 : 202,
          handled: ping,
        };
      },
    ],
    [
      3,
      () => {
        const e = r.pick(entries);
        const headers = withDelivery(e.sample.headers, freshId());
        for (const h of SIGNATURE_HEADERS) {
          const v = headers[h];
          if (typeof v === 'string') headers[h] = [v, v];
        }
        return {
          category: 'duplicated-signature-header',
          req: { url: route(e.forge), payload: e.sample.body, headers },
          status: 401,
          handled: false,
        };
      },
    ],
  ];
  const total = categories.reduce((s, [w]) => s + w, 0);
  function make(name?: string): Case {
    if (name === 'valid') return categories[0]![1]();
    let x = r.next() * total;
    for (const [w, fn] of categories) {
      x -= w;
      if (x < 0) return fn();
    }
    return categories[0]![1]();
  }
  for (let i = 0; i < count; i++) cases.push(make());
  return cases;
}

describe('webhook fuzz', () => {
  for (const seed of [20240501, 7]) {
    it(`answers 1,000+ mixed requests as specified, calls the handler once per valid delivery (seed ${seed})`, async () => {
      const h = harness({ maxBodyBytes: MAX_BODY });
      const cases = generate(seed, 1200);
      const byCategory = new Map<string, number>();
      const mismatches: string[] = [];
      let expectedCalls = 0;
      for (const [i, c] of cases.entries()) {
        byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
        const before = h.calls.length;
        const res = await h.server.app.inject({ method: 'POST', ...c.req });
        if (c.handled) expectedCalls++;
        if (
          !ALLOWED.has(res.statusCode) ||
          res.statusCode !== c.status ||
          h.calls.length - before !== (c.handled ? 1 : 0)
        ) {
          mismatches.push(
            `#${i} ${c.category} ${c.req.url}: got ${res.statusCode} ${res.body}, want ${c.status}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
      expect(h.calls).toHaveLength(expectedCalls);
      // Every category ran, and many times.
      expect(byCategory.size).toBe(17);
      for (const [category, n] of byCategory) expect(n, category).toBeGreaterThanOrEqual(5);
      // No delivery id reached the handler twice.
      const ids = h.calls.map((c) => c.context.deliveryId).filter((id) => id !== undefined);
      expect(new Set(ids).size).toBe(ids.length);
      const health = await h.server.app.inject({ url: '/health' });
      expect(health.statusCode).toBe(200);
    });
  }

  it('lets exactly one of 25 concurrent copies of a delivery through', async () => {
    const h = harness();
    const s = giteaSamples()['pull_request.closed.merged']!;
    const results = await Promise.all(
      Array.from({ length: 25 }, () =>
        h.server.app.inject({ method: 'POST', url: '/webhook', payload: s.body, headers: s.headers }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 202)).toHaveLength(24);
    expect(h.calls).toHaveLength(1);
  });
});
