import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir, writeTask } from '../../helpers/project.js';
import { fakeOllamaPerTest, reply, reviewAppsClosedAfterEach, reviewConfig, runAll } from './support.js';

/*
 * The dependency audit runs the real `npm audit --json` (in the sandbox) on a change that
 * adds package.json and package-lock.json: once against a registry that is not there, once
 * against a local server answering npm's bulk advisory endpoint.
 */

const PROJECT = path.resolve('test/integration/review/fixtures/npm-project');
/** Shell-quotes `text` in single quotes. */
const shq = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
/**
 * The agent writes the fixture's manifests from their contents: the sandbox has a private
 * /tmp, so a fixture path under a checkout in /tmp (as CI clones are) is not visible to it.
 */
const AGENT = ['package.json', 'package-lock.json']
  .map((f) => `printf '%s' ${shq(readFileSync(path.join(PROJECT, f), 'utf8'))} > ${f}`)
  .concat('echo hi > greet.txt')
  .join(' && ');

const newFake = fakeOllamaPerTest();
const open = reviewAppsClosedAfterEach();
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** npm's environment: its PATH (node, npm), a private HOME and the registry, passed through agent.env. */
function npmEnv(registry: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmpDir('tp-npm-home-'),
    npm_config_registry: registry,
  };
}

function auditConfig(fake: Awaited<ReturnType<typeof newFake>>): Record<string, unknown> {
  return reviewConfig(fake, {
    agent: { command: AGENT, env: ['npm_config_registry'] },
    codeReview: { onCritical: 'comment', dependencyAudit: true },
  });
}

/** A port nobody listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('dependency audit in the code review', () => {
  it('reports an unreachable registry as a note, and the review still completes', async () => {
    const fake = await newFake();
    fake.setResponder(() => reply([]));
    const port = await closedPort();
    const { app, root, reviews } = await open(auditConfig(fake), npmEnv(`http://127.0.0.1:${port}`));
    writeTask(root, '1', { title: 'Add deps' });
    await runAll(app);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toMatch(/- Note: dependency audit unavailable \(package\.json\): .*ECONNREFUSED/);
    expect(pr.body).toContain('No findings.');
    expect(reviews).toEqual([expect.objectContaining({ status: 'ok' })]);
  });

  it('turns critical and high advisories from the registry into findings on package.json', async () => {
    const fake = await newFake();
    fake.setResponder(() => reply([]));
    const asked: unknown[] = [];
    const registry = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/-/npm/v1/security/advisories/bulk') {
          const raw = Buffer.concat(chunks);
          const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
          asked.push(JSON.parse(body.toString('utf8')));
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              'left-pad': [
                {
                  id: 1001,
                  url: 'https://advisories.example/1001',
                  title: 'Prototype pollution in left-pad',
                  severity: 'critical',
                  vulnerable_versions: '<2.0.0',
                  cwe: ['CWE-1321'],
                  cvss: { score: 9.8, vectorString: null },
                },
              ],
              ms: [
                {
                  id: 1002,
                  url: 'https://advisories.example/1002',
                  title: 'ReDoS in ms',
                  severity: 'high',
                  vulnerable_versions: '<2.0.1',
                  cwe: [],
                  cvss: { score: 7.5, vectorString: null },
                },
              ],
            }),
          );
          return;
        }
        // Packuments: unknown here; npm then assumes every version is affected by the range.
        res.statusCode = 404;
        res.setHeader('content-type', 'application/json');
        res.end('{"error":"not found"}');
      });
    });
    servers.push(registry);
    registry.listen(0, '127.0.0.1');
    await once(registry, 'listening');
    const { port } = registry.address() as AddressInfo;
    const { app, root, reviews } = await open(auditConfig(fake), npmEnv(`http://127.0.0.1:${port}`));
    writeTask(root, '2', { title: 'Add deps' });
    await runAll(app);

    // npm ran inside bubblewrap, with the network kept for the registry.
    expect(app.sandbox.mode).toBe('bwrap');
    expect(asked).toEqual([{ 'left-pad': ['1.3.0'], ms: ['2.0.0'] }]);
    const pr = app.store.listPullRequests()[0]!;
    expect(pr.body).toContain(
      '| 🔴 critical | security | `package.json` | left-pad <2.0.0: Prototype pollution in left-pad (https://advisories.example/1001) |',
    );
    expect(pr.body).toContain(
      '| 🟠 major | security | `package.json` | ms <2.0.1: ReDoS in ms (https://advisories.example/1002) |',
    );
    expect(reviews[0]?.findings).toEqual({ critical: 1, major: 1, minor: 0, info: 0 });
  });
});
