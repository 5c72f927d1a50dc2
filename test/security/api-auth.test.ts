import { afterEach, describe, expect, it } from 'vitest';
import { folderContents } from '../helpers/project.js';
import { type AppUnderTest, startApp } from './webhook-harness.js';

/*
 * Finding 11: POST /api/tasks was open to anyone who could reach the port, even with the
 * server bound to every interface, and its answer carried the absolute path of the file it
 * wrote. The API now needs a bearer token (TP_API_TOKEN or webhook.apiToken) whenever the
 * server listens beyond loopback, and answers with file names only.
 */

const TOKEN = 'api-token-for-the-security-test';
const TASK = { title: 'From the API', acceptanceCriteria: ['it exists'] };

let t: AppUnderTest | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function post(url: string, body: unknown, token?: string) {
  return fetch(`${url}/api/tasks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

describe('POST /api/tasks on a server bound beyond loopback', () => {
  it('is refused, with the fix named, when no API token is configured', async () => {
    t = await startApp(undefined, {}, {}, '0.0.0.0');
    const res = await post(t.url, TASK);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { message: string };
    expect(body.message).toContain('TP_API_TOKEN');
    expect(folderContents(t.root).todo).toEqual([]);
  });

  it('needs the configured token: none or a wrong one → 401, the right one → 201', async () => {
    t = await startApp(undefined, {}, { TP_API_TOKEN: TOKEN }, '0.0.0.0');
    expect((await post(t.url, TASK)).status).toBe(401);
    expect((await post(t.url, TASK, `${TOKEN}x`)).status).toBe(401);
    expect(folderContents(t.root).todo).toEqual([]);
    const ok = await post(t.url, TASK, TOKEN);
    expect(ok.status).toBe(201);
    expect(folderContents(t.root).todo).toHaveLength(1);
  });
});

describe('POST /api/tasks with webhook.apiToken on loopback', () => {
  it('checks the token from config.json too', async () => {
    t = await startApp(undefined, { webhook: { apiToken: TOKEN } });
    expect((await post(t.url, TASK, 'wrong')).status).toBe(401);
    expect((await post(t.url, TASK, TOKEN)).status).toBe(201);
  });
});

describe('answers carry no absolute path', () => {
  it('returns the file name of the new task, not where it lives', async () => {
    const app = await startApp(undefined);
    t = app;
    const res = await post(app.url, TASK);
    expect(res.status).toBe(201);
    const text = await res.text();
    const body = JSON.parse(text) as { id: string; file: string };
    expect(body.file).toBe(folderContents(app.root).todo?.[0]);
    expect(text).not.toContain(app.root);
    expect(text).not.toMatch(/"\/(tmp|home|root|var|work)\//);
    const bad = await post(app.url, { priority: 'urgent' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain(app.root);
  });
});
