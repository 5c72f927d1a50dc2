import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitea, startFakeGitea } from '../../fixtures/fake-gitea/index.js';
import { type GitHttpServer, startGitHttpServer } from '../../fixtures/git-http/index.js';
import { folderContents, writeTask } from '../../helpers/project.js';
import { refSha, seedMain } from '../e2e/support.js';
import {
  failedReport,
  fakeOllamaPerTest,
  finding,
  REVIEW_MODEL,
  reply,
  reviewAppsClosedAfterEach,
  reviewConfig,
  runAll,
} from './support.js';

/*
 * The code review through the real app on the spec-validated fake Gitea (real bare
 * repositories behind a token-checking git server): findings in the PR body and as a PR
 * review with comments on the changed lines; hold labels; blockOnCritical pushes nothing.
 */

const TOKEN = 'review-gitea-token-4d1c9a7e3b20';
const OWNER = 'acme';

const newFake = fakeOllamaPerTest();
const open = reviewAppsClosedAfterEach();

describe('code review on the fake Gitea', () => {
  let gitServer: GitHttpServer;
  let gitea: FakeGitea;
  let repoCount = 0;

  beforeAll(async () => {
    gitServer = await startGitHttpServer({ token: TOKEN });
    gitea = await startFakeGitea({ token: TOKEN, orgs: [OWNER], gitBackend: gitServer });
  });

  afterEach(() => {
    expect(gitea.violations).toEqual([]);
  });

  afterAll(async () => {
    await gitea?.close();
    await gitServer?.close();
  });

  /** A fresh repository per test (the fake keeps PR numbers per repository). */
  async function giteaConfig(over: Record<string, unknown>, fake: Awaited<ReturnType<typeof newFake>>) {
    const repo = `widgets${++repoCount}`;
    await gitea.addRepo(OWNER, repo, { ownerIsOrg: true });
    await seedMain(gitServer.repoPath(OWNER, repo));
    const config = reviewConfig(fake, {
      forge: { type: 'gitea', url: gitea.url, owner: OWNER, repo },
      repository: { url: undefined, baseBranch: 'main' },
      ...over,
    });
    return { repo, config };
  }

  const prsOf = (repo: string) => gitea.state.prs.filter((p) => p.repo === repo);

  it('comment: the PR body has the findings and a Gitea review carries the line comments', async () => {
    const fake = await newFake();
    fake.enqueueReply(
      REVIEW_MODEL,
      reply([
        finding(),
        finding({ severity: 'info', category: 'style', line: null, message: 'Whole-file remark' }),
      ]),
    );
    const { repo, config } = await giteaConfig({ codeReview: { onCritical: 'comment' } }, fake);
    const { app, root } = await open(config, { GITEA_TOKEN: TOKEN });
    writeTask(root, '1', { title: 'Greet' });
    await runAll(app);

    const [pr] = prsOf(repo);
    expect(pr?.body).toContain('| 🟠 major | bugs | `greet.txt:1` | The greeting is wrong |');
    const reviews = gitea.state.reviews.filter((r) => r.repo === repo && r.pr === pr?.number);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: 'COMMENT', commitId: pr?.headSha });
    const comments = gitea.state.reviewComments.filter((c) => c.reviewId === reviews[0]?.id);
    expect(comments).toEqual([
      expect.objectContaining({
        path: 'greet.txt',
        line: 1,
        body: expect.stringContaining('The greeting is wrong'),
      }),
    ]);
  });

  it('hold: the PR gets the needs-attention label and is not merged', async () => {
    const fake = await newFake();
    fake.enqueueReply(REVIEW_MODEL, reply([finding()]));
    const { repo, config } = await giteaConfig({ codeReview: { onCritical: 'hold' } }, fake);
    const { app, root } = await open(config, { GITEA_TOKEN: TOKEN });
    writeTask(root, '2', { title: 'Greet' });
    await runAll(app);
    const [pr] = prsOf(repo);
    const label = gitea.state.labels.find((l) => l.name === 'needs-attention' && pr?.labelIds.includes(l.id));
    expect(label).toBeDefined();
    expect(pr).toMatchObject({ state: 'open', merged: false });
    expect(folderContents(root).review).toEqual(['task-2 - Greet.md']);
  });

  it('unavailable review: says so in the body and is not merged', async () => {
    const fake = await newFake();
    fake.setResponder(() => ({ content: 'not json' }));
    const { repo, config } = await giteaConfig({ codeReview: { onCritical: 'comment' } }, fake);
    const { app, root } = await open(config, { GITEA_TOKEN: TOKEN });
    writeTask(root, '3', { title: 'Greet' });
    await runAll(app);
    const [pr] = prsOf(repo);
    expect(pr?.body).toContain('⚠️ Review unavailable');
    expect(pr).toMatchObject({ state: 'open', merged: false });
  });

  it('blockOnCritical: no PR on Gitea and no branch pushed', async () => {
    const fake = await newFake();
    fake.setResponder(() => reply([finding({ severity: 'critical', category: 'security' })]));
    const { repo, config } = await giteaConfig(
      { codeReview: { onCritical: 'fix', maxFixRounds: 1, blockOnCritical: true } },
      fake,
    );
    const { app, root } = await open(config, { GITEA_TOKEN: TOKEN });
    writeTask(root, '4', { title: 'Greet' });
    await runAll(app);
    expect(failedReport(root)).toMatchObject({ code: 'REVIEW_BLOCKED', errorType: 'review' });
    expect(prsOf(repo)).toEqual([]);
    expect(await refSha(gitServer.repoPath(OWNER, repo), 'refs/heads/task-4')).toBeUndefined();
  });
});
