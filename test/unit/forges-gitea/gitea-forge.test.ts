import { describe, expect, it } from 'vitest';
import { TpError } from '../../../src/errors/index.js';
import { GiteaForge, labelColor } from '../../../src/forges/gitea/index.js';

const TOKEN = 'forge-unit-token-987';

type Route = (url: URL, init: RequestInit | undefined) => Response | undefined;

/** A fetch that dispatches to routes by `METHOD path`, recording calls; unknown routes are 404. */
function router(routes: Record<string, Route>) {
  const calls: string[] = [];
  const impl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    calls.push(`${key}${url.search}`);
    return (
      routes[key]?.(url, init) ?? new Response(JSON.stringify({ message: 'not found' }), { status: 404 })
    );
  };
  return { impl, calls };
}

const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
const pr = (number: number, ref: string, extra: Record<string, unknown> = {}) => ({
  number,
  title: `PR ${number}`,
  html_url: `http://g/o/r/pulls/${number}`,
  state: 'open',
  merged: false,
  head: { ref, label: ref },
  base: { ref: 'main' },
  merged_at: null,
  ...extra,
});

const make = (impl: typeof fetch, over: Record<string, unknown> = {}) =>
  new GiteaForge({
    baseUrl: 'http://g',
    token: TOKEN,
    owner: 'o',
    repo: 'r',
    fetch: impl,
    retry: { maxRetries: 0 },
    pageSize: 2,
    ...over,
  });

describe('GiteaForge (unit, stub fetch)', () => {
  it('needs a token', () => {
    let err: unknown;
    try {
      make(fetch, { token: '' });
    } catch (e) {
      err = e;
    }
    expect(TpError.isInstance(err) && err.code).toBe('CONFIG_INVALID');
    expect(TpError.isInstance(err) && err.hint).toContain('GITEA_TOKEN');
  });

  it('rejects a token with whitespace (it would end up inside an HTTP header)', () => {
    expect(() => make(fetch, { token: `${TOKEN}\n` })).toThrow(/whitespace or control characters/);
    expect(() => make(fetch, { token: `${TOKEN}\r\nX-Evil: 1` })).toThrow(TpError);
  });

  it('strips userinfo from clone_url', async () => {
    const { impl } = router({
      'GET /api/v1/repos/o/r': () => ok({ clone_url: 'https://bot:pw@git.example.com/o/r.git' }),
    });
    expect(await make(impl).remoteUrl()).toBe('https://git.example.com/o/r.git');
  });

  it('finds a PR on a later page and tolerates null fields from a real server', async () => {
    const { impl, calls } = router({
      'GET /api/v1/repos/o/r/pulls': (url) =>
        url.searchParams.get('page') === '1'
          ? ok([pr(1, 'a'), pr(2, 'b')])
          : ok([pr(3, 'task-7', { merged_by: null })]),
    });
    const found = await make(impl).findPullRequest('task-7');
    expect(found).toEqual({
      number: 3,
      url: 'http://g/o/r/pulls/3',
      title: 'PR 3',
      head: 'task-7',
      base: 'main',
      state: 'open',
    });
    expect(calls).toEqual([
      'GET /api/v1/repos/o/r/pulls?state=open&page=1&limit=2',
      'GET /api/v1/repos/o/r/pulls?state=open&page=2&limit=2',
    ]);
  });

  it('maps merged and closed states', async () => {
    const { impl } = router({
      'POST /api/v1/repos/o/r/pulls/5/merge': () => new Response(null, { status: 200 }),
      'GET /api/v1/repos/o/r/pulls/5': () => ok(pr(5, 'x', { state: 'closed', merged: true })),
    });
    expect((await make(impl).merge(5)).state).toBe('merged');
  });

  it('reuses existing labels case-insensitively and creates missing ones with a stable colour', async () => {
    const created: unknown[] = [];
    let sentLabels: unknown;
    const { impl } = router({
      'GET /api/v1/repos/o/r/labels': (url) =>
        ok(
          url.searchParams.get('page') === '1'
            ? [
                { id: 1, name: 'Bug' },
                { id: 2, name: 'x' },
              ]
            : [{ id: 3, name: 'y' }],
        ),
      'POST /api/v1/repos/o/r/labels': (_u, init) => {
        const body = JSON.parse(String(init?.body));
        created.push(body);
        return ok({ id: 10, name: body.name }, 201);
      },
      'POST /api/v1/repos/o/r/pulls': (_u, init) => {
        sentLabels = JSON.parse(String(init?.body)).labels;
        return ok(pr(9, 'task-1'), 201);
      },
    });
    const result = await make(impl).openPullRequest({
      title: 't',
      body: 'b',
      head: 'task-1',
      base: 'main',
      labels: ['bug', 'new-label', 'bug', ' '],
      taskId: '1',
    });
    expect(result.number).toBe(9);
    expect(sentLabels).toEqual([1, 10]);
    expect(created).toEqual([{ name: 'new-label', color: labelColor('new-label') }]);
    expect(labelColor('new-label')).toMatch(/^#[0-9a-f]{6}$/);
    expect(labelColor('New-Label')).toBe(labelColor('new-label'));
  });

  it('a 422 that is not "already exists" (no open PR found) surfaces with the task id', async () => {
    const { impl } = router({
      'POST /api/v1/repos/o/r/pulls': () => ok({ message: 'head and base must be different' }, 422),
      'GET /api/v1/repos/o/r/pulls': () => ok([]),
    });
    const err = await make(impl)
      .openPullRequest({ title: 't', body: '', head: 'main', base: 'main', labels: [], taskId: '12' })
      .catch((e: unknown) => e);
    expect(TpError.isInstance(err) && err.code).toBe('FORGE_CONFLICT');
    expect(TpError.isInstance(err) && err.taskId).toBe('12');
  });

  it('creating a repo that appeared meanwhile (409) counts as success', async () => {
    let exists = false;
    const { impl } = router({
      'GET /api/v1/repos/o/r': () => (exists ? ok({ clone_url: 'http://g/o/r.git' }) : undefined),
      'GET /api/v1/orgs/o': () => ok({ id: 1, username: 'o' }),
      'POST /api/v1/orgs/o/repos': () => {
        exists = true;
        return ok({ message: 'The repository with the same name already exists.' }, 409);
      },
    });
    const forge = make(impl, { createRepo: true });
    await forge.ensureRepo();
    expect(await forge.remoteUrl()).toBe('http://g/o/r.git');
  });

  it('pushAuth is a header, so git gets it per command', () => {
    expect(make(fetch).pushAuth()).toEqual({ header: `Authorization: token ${TOKEN}` });
  });
});
