import type { LoadedConfig } from '../../config/index.js';
import { differs, type MigrateItem, same } from './types.js';

/** What the original's config.json means here, setting by setting (from the loaded, validated config). */
export function inspectSettings(loaded: LoadedConfig, raw: Record<string, unknown>): MigrateItem[] {
  const { config, secrets, env } = loaded;
  const items: MigrateItem[] = [];
  const unknown = loaded.warnings.filter((w) => w.includes('unknown key'));
  const other = loaded.warnings.filter((w) => !w.includes('unknown key'));
  if (loaded.warnings.length === 0) items.push(same('config', 'config.json: every key is known and valid'));
  for (const w of unknown)
    items.push(differs('config', w, 'remove or rename the key (docs/configuration.md lists every key)'));
  for (const w of other) items.push(differs('config', w, 'as the message says'));

  const forge = config.forge;
  if (forge.type === 'gitea') {
    items.push(
      same('forge', `gitea at ${forge.url ?? '(forge.url not set)'}, owner ${forge.owner ?? '(not set)'}`),
    );
    if (!secrets.giteaToken)
      items.push(
        differs(
          'forge',
          'GITEA_TOKEN is not set: the Gitea API refuses every call',
          'set GITEA_TOKEN in .env',
        ),
      );
  } else if (forge.type === 'local' && env.GITEA_URL && env.GITEA_TOKEN) {
    items.push(
      differs(
        'forge',
        'forge.type is "local": pull requests go into the local SQLite store and nothing reaches Gitea, although GITEA_URL and GITEA_TOKEN are set',
        'set "forge": { "type": "gitea" } in config.json (or TP_FORGE=gitea in .env)',
      ),
    );
  } else if (forge.type === 'local') {
    items.push(
      differs(
        'forge',
        'the original always used Gitea; here forge.type is "local": pull requests stay in the local store (`ticket-processor pr list`)',
        'set GITEA_URL and GITEA_TOKEN in .env, and "forge": { "type": "gitea" } in config.json',
      ),
    );
  } else items.push(same('forge', `${forge.type}${forge.url ? ` at ${forge.url}` : ''}`));

  const repo = config.repository;
  if (repo.perTaskRepo)
    items.push(same('repository', 'repository.perTaskRepo: a new repository per task, as in the original'));
  else
    items.push(
      differs(
        'repository',
        `repository.perTaskRepo is false: the original created a repository per task (repos/task-<id>, on Gitea <org>/task-<id>); here every task is a branch of one repository: ${repo.url ?? 'the git repository that holds config.json (repository.url not set)'}`,
        'set repository.url to the project repository (on the forge host, forge.owner/forge.repo follow from it), or "repository": { "perTaskRepo": true } to keep a repository per task',
      ),
    );

  const p = config.processing;
  const rawProcessing = (raw.processing ?? {}) as Record<string, unknown>;
  if (rawProcessing.moveDelay !== undefined)
    items.push(
      differs(
        'processing',
        `processing.moveDelay (${p.moveDelay} ms) is accepted and ignored: no fixed ${p.watchDebounce + p.moveDelay} ms wait; a task file is read as soon as it stops changing (checked every ${p.stabilityPollMs} ms, at most processing.watchDebounce ${p.watchDebounce} ms)`,
        'nothing to do; remove processing.moveDelay to make that explicit',
      ),
    );
  items.push(
    differs(
      'git',
      'the token is sent with each push as a header, never written into a remote URL or .git/config (the original embedded it in the clone URL)',
      'nothing to do for new runs; clean old clones (listed under repos, if any)',
    ),
  );
  items.push(
    same(
      'git',
      config.git.createPR
        ? 'git.createPR true: a pull request per task'
        : 'git.createPR false: the branch is pushed, no pull request is opened, the task goes to review/',
    ),
  );
  items.push(
    same('git', `commit, branch and PR templates as in the original (${config.git.branchNameFormat})`),
  );

  const w = config.webhook;
  if (!w.enabled) items.push(same('webhook', 'webhook.enabled false: no HTTP server'));
  else {
    if (secrets.webhookSecret && secrets.webhookSecret !== 'webhook-secret-change-me')
      items.push(
        same(
          'webhook',
          `the X-Gitea-Signature HMAC is checked over the raw body with GITEA_WEBHOOK_SECRET; the same secret works at ${w.path} on port ${w.port}`,
        ),
      );
    else
      items.push(
        differs(
          'webhook',
          secrets.webhookSecret
            ? 'GITEA_WEBHOOK_SECRET is the example value'
            : 'GITEA_WEBHOOK_SECRET is not set: Gitea webhooks are refused (401), so merges do not move tasks to completed/',
          'set GITEA_WEBHOOK_SECRET in .env to a long random string, and the same secret in the Gitea webhook',
        ),
      );
    if (w.host === '127.0.0.1' || w.host === 'localhost')
      items.push(
        differs(
          'webhook',
          `the server listens on ${w.host} only (the original listened on every interface)`,
          'if Gitea runs in a container or on another machine, set webhook.host "0.0.0.0" and add the host name Gitea calls to webhook.allowedHosts',
        ),
      );
  }

  if (config.agent.type === 'kilo')
    items.push(same('agent', 'agent.type "kilo": the Kilo CLI writes the code, as in the original'));
  else
    items.push(
      differs(
        'agent',
        `the original ran the Kilo Code CLI (kodu) for every task; here agent.type is "${config.agent.type}"${config.agent.type === 'builtin' ? ' (the built-in Ollama agent)' : ''}`,
        'keep it (nothing to install), or set "agent": { "type": "kilo" } to run the Kilo CLI (npm i -g @kilocode/cli)',
      ),
    );
  items.push(
    same(
      'ollama',
      `models as named (the ollama/ prefix is accepted); default ${config.ollama.defaultModel}, timeout ${config.ollama.timeout} ms`,
    ),
  );
  items.push(
    same('logging', `logging.colorize ${config.logging.colorize}: colours the console lines on a terminal`),
  );
  items.push(
    same(
      'tasks',
      `taskIdFormat.pattern "${config.taskIdFormat.pattern}" names created task files; extractRegex ${config.taskIdFormat.extractRegex} reads ids`,
    ),
  );
  items.push(
    differs(
      'scripts',
      "the original's scripts/create-task.js, create-from-template.sh and bulk-create.js are commands here",
      'use `ticket-processor create-task`, `ticket-processor create-from-template "<title>"`, `ticket-processor bulk-create tasks.json` (or npm run create-task / create-from-template / bulk-create)',
    ),
  );
  return items;
}
