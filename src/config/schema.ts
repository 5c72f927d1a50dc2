import { z } from 'zod';
import { monitoringSchema, notificationsSchema } from './schema-ops.js';
import { queueSchema } from './schema-queue.js';
import { codeReviewSchema, modelSelectionSchema, performanceSchema, queueFields } from './schema-runs.js';

/*
 * One zod schema for the whole configuration. Every field has a default, so a partial
 * config.json (or the original tool's config.json) is completed, and a description, from
 * which docs/configuration.md is generated (`ticket-processor config --docs`).
 */

const ms = (d: number, text: string) => z.number().int().nonnegative().default(d).describe(text);

const hostSchema = z.object({
  url: z.string().url().describe('Base URL of an Ollama server, e.g. http://gpu-box:11434.'),
  models: z
    .array(z.string())
    .optional()
    .describe('Models to route to this host; default: whatever /api/tags lists.'),
  weight: z
    .number()
    .positive()
    .default(1)
    .describe('Relative share of requests when several hosts serve a model.'),
});

export const healthCheckSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Probe every Ollama host periodically.'),
    interval: ms(30_000, 'Milliseconds between health probes.'),
    timeout: ms(5_000, 'Milliseconds before a probe counts as failed.'),
    endpoint: z
      .enum(['/api/tags', '/api/version'])
      .default('/api/version')
      .describe('What a probe requests.'),
    failureThreshold: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('Consecutive failures that open the breaker.'),
    successThreshold: z
      .number()
      .int()
      .positive()
      .default(2)
      .describe('Successful probes that close it again.'),
    halfOpenRequests: z.number().int().positive().default(1).describe('Probes admitted while HALF_OPEN.'),
    cooldownMs: ms(30_000, 'Milliseconds an OPEN breaker waits before HALF_OPEN.'),
    maxWaitMs: ms(
      3_600_000,
      'How long a task may wait for a host to come back before it fails as transient.',
    ),
  })
  .prefault({});

const ollamaSchema = z
  .object({
    host: z
      .string()
      .default('http://127.0.0.1:11434')
      .describe('Ollama endpoint; env OLLAMA_HOST overrides.'),
    hosts: z.array(hostSchema).default([]).describe('Several Ollama hosts; empty means just `host`.'),
    defaultModel: z.string().default('ollama/deepseek-coder').describe('Model used when a task names none.'),
    availableModels: z
      .array(z.string())
      .default(['ollama/deepseek-coder', 'ollama/codellama', 'ollama/mistral', 'ollama/llama2'])
      .describe('Models a task may choose; also the last fallback order.'),
    fallbackModels: z
      .array(z.string())
      .default([])
      .describe('Models tried, in order, after the task model fails.'),
    timeout: ms(300_000, 'Maximum milliseconds for one agent run (original `timeout`).'),
    retryAttempts: z
      .number()
      .int()
      .nonnegative()
      .default(3)
      .describe('Original tool: retries on connection failures.'),
    retryDelay: ms(
      5_000,
      'Original tool: delay between retries (used as retry.baseDelayMs when that is unset).',
    ),
    numCtx: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Force a context length; default: from /api/show.'),
    keepAlive: z.string().default('10m').describe('How long Ollama keeps a model loaded after a request.'),
    healthCheck: healthCheckSchema,
  })
  .prefault({});

const processingSchema = z
  .object({
    concurrency: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe(
        'Tasks processed at the same time (worktree, agent, checks, commit). A task whose change is reviewed gives its slot to the next one while it commits, pushes and opens its PR; pushes due within a moment of each other go as one `git push`.',
      ),
    watchDebounce: ms(1_000, 'Upper bound (ms) to wait for a task file to stop changing before it is read.'),
    moveDelay: ms(500, 'Original tool setting, accepted for compatibility; pickup does not sleep on it.'),
    stabilityPollMs: ms(25, 'How often a just-written file is re-checked for completeness.'),
    maxTaskFileBytes: z
      .number()
      .int()
      .positive()
      .default(1_048_576)
      .describe('Largest task file read; a bigger one goes to failed/ unread (only regular files are read).'),
    ...queueFields,
  })
  .prefault({});

const foldersSchema = z
  .object({
    todo: z.string().default('backlog/todo').describe('New tasks awaiting processing.'),
    doing: z.string().default('backlog/doing').describe('Tasks being processed.'),
    failed: z.string().default('backlog/failed').describe('Failed tasks, with .error.log and .error.json.'),
    review: z.string().default('backlog/review').describe('Tasks whose pull request awaits review.'),
    completed: z.string().default('backlog/completed').describe('Tasks whose pull request was merged.'),
    repos: z.string().default('repos').describe('Working area: repository caches and per-task worktrees.'),
  })
  .prefault({});

const webhookSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Run the HTTP server (webhook, health, API).'),
    port: z.number().int().min(0).max(65535).default(3001).describe('HTTP port (0 = any free port).'),
    host: z.string().default('127.0.0.1').describe('Interface the HTTP server binds to.'),
    path: z.string().default('/webhook').describe('Webhook endpoint path.'),
    autoMergePR: z.boolean().default(true).describe('Merge a task PR automatically when checks allow.'),
    maxBodyBytes: z.number().int().positive().default(1_048_576).describe('Largest accepted webhook body.'),
    rateLimitPerMinute: z
      .number()
      .int()
      .positive()
      .default(120)
      .describe('Webhook requests per source IP per minute.'),
    mention: z
      .string()
      .default('@ticket-processor')
      .describe('PR comments starting with this start a follow-up run.'),
    allowedCommenters: z
      .array(z.string())
      .default([])
      .describe(
        'Forge users whose PR comments may start a follow-up run. Empty: anyone the forge reports with write access (GitHub OWNER/MEMBER/COLLABORATOR, Gitea/Forgejo write, GitLab Developer+). Non-empty: only these users, and they still need write access.',
      ),
    apiToken: z
      .string()
      .optional()
      .describe(
        'Bearer token that POST /api/tasks requires; env TP_API_TOKEN overrides. Without one, the API answers 403 when `host` is not a loopback address.',
      ),
    allowedHosts: z
      .array(z.string())
      .default([])
      .describe(
        'Host header names accepted besides the bind address, localhost and 127.0.0.1 (blocks DNS rebinding); add the name a reverse proxy or forge uses.',
      ),
  })
  .prefault({});

const gitSchema = z
  .object({
    commitMessageFormat: z.string().default('feat(task-{id}): {title}').describe('Commit message template.'),
    branchNameFormat: z.string().default('task-{id}').describe('Branch name template.'),
    createPR: z
      .boolean()
      .default(true)
      .describe(
        'Open a pull request for every task. `false`: push the branch only; the task goes to review/ with the branch named in its notes, and nothing is merged automatically.',
      ),
    prTitle: z.string().default('[Task {id}] {title}').describe('Pull request title template.'),
    prBody: z
      .string()
      .default(
        '{description}\n\n## Acceptance Criteria\n{acceptanceCriteria}\n\n---\nProcessed by ticket-processor with model: {model}',
      )
      .describe('Pull request body template; {id} {title} {description} {acceptanceCriteria} {model}.'),
    pushRetries: z.number().int().nonnegative().default(3).describe('Push attempts before the task fails.'),
    pushRetryDelay: ms(2_000, 'Base delay (ms) between push attempts, doubled each time.'),
    userName: z.string().default('Ticket Processor').describe('Commit author; env GIT_USER_NAME overrides.'),
    userEmail: z
      .string()
      .default('processor@localhost')
      .describe('Commit email; env GIT_USER_EMAIL overrides.'),
    signCommits: z.boolean().default(false).describe('GPG-sign commits (needs a key for userEmail).'),
  })
  .prefault({});

const loggingSchema = z
  .object({
    level: z
      .enum(['trace', 'debug', 'info', 'warning', 'warn', 'error'])
      .default('info')
      .describe('Minimum level.'),
    includeTimestamp: z.boolean().default(true).describe('Include an ISO timestamp in every line.'),
    colorize: z
      .boolean()
      .default(true)
      .describe(
        'Colour the console progress lines on a terminal (NO_COLOR turns colour off, FORCE_COLOR on).',
      ),
    directory: z.string().default('logs').describe('Folder for watcher/processor/git/error logs.'),
    maxSize: z.string().default('10m').describe('Rotate a log file at this size (k, m, g suffix).'),
    maxFiles: z.number().int().positive().default(10).describe('Rotated files kept per log.'),
    compress: z.boolean().default(true).describe('gzip rotated files.'),
    format: z.enum(['json', 'pretty']).default('json').describe('File log format.'),
  })
  .prefault({});

const taskIdSchema = z
  .object({
    pattern: z
      .string()
      .default('task-{id}')
      .describe(
        'How a task id is written in the names of created task files (`create-task`, `bulk-create`, the API); `{id}` is the number. `extractRegex` must read the id back from it.',
      ),
    extractRegex: z
      .string()
      .default('task-(\\d+)')
      .describe('Regex whose first group is the id in a file name.'),
  })
  .superRefine((v, ctx) => {
    // A created file whose id intake cannot read back would go straight to failed/.
    let back: string | undefined;
    try {
      back = new RegExp(v.extractRegex).exec(v.pattern.replaceAll('{id}', '123'))?.[1];
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['extractRegex'],
        message: `not a valid regex: ${(err as Error).message}`,
      });
      return;
    }
    if (!v.pattern.includes('{id}') || back !== '123')
      ctx.addIssue({
        code: 'custom',
        path: ['pattern'],
        message: `"${v.pattern}" must contain {id}, and extractRegex ${v.extractRegex} must read the id back from it (for id 123 it reads ${back ?? 'nothing'}).`,
      });
  })
  .prefault({});

const tasksSchema = z
  .object({
    format: z
      .enum(['folders', 'backlog', 'auto'])
      .default('auto')
      .describe('`auto`: backlog when backlog/config.yml exists.'),
    backlogDir: z
      .string()
      .default('backlog')
      .describe('Backlog.md project folder (holds config.yml and tasks/).'),
  })
  .prefault({});

const repositorySchema = z
  .object({
    url: z
      .string()
      .optional()
      .describe('Target repository: local path or remote URL. Default: the repo holding backlog/.'),
    baseBranch: z.string().default('main').describe('Branch every task starts from and targets.'),
    perTaskRepo: z
      .boolean()
      .default(false)
      .describe('Original tool behaviour: a fresh repository per task under `repos`.'),
    allowed: z
      .array(z.string())
      .default([])
      .describe(
        "Repositories a task's `repo:` field may name (URL or path, compared after resolving paths). Empty: only repository.url; any other value fails the task.",
      ),
    allowedBaseBranches: z
      .array(z.string())
      .default([])
      .describe("Base branches a task's `baseBranch:` may name. Empty: only repository.baseBranch."),
  })
  .prefault({});

const agentSchema = z
  .object({
    type: z
      .enum(['builtin', 'command', 'kilo', 'opencode', 'aider', 'codex'])
      .default('builtin')
      .describe('Agent kind: the built-in Ollama agent, a shell `command`, or an external CLI agent.'),
    command: z
      .string()
      .optional()
      .describe(
        'Shell template for `command`, run in the worktree with TP_TASK_ID, TP_PROMPT_FILE, TP_MODEL, TP_WORKDIR.',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Wall-clock limit per run; default ollama.timeout.'),
    maxIterations: z.number().int().positive().default(25).describe('Built-in agent: turn cap.'),
    maxTokens: z.number().int().positive().default(200_000).describe('Built-in agent: total token cap.'),
    contextTokens: z.number().int().positive().default(16_384).describe('Built-in agent: prompt budget.'),
    allowCommands: z
      .array(z.string())
      .default(['npm test', 'npm run lint', 'git status', 'git diff'])
      .describe('run_command allow-list.'),
    env: z
      .array(z.string())
      .default([])
      .describe(
        'Names of extra environment variables passed to agents and verify commands. Every child process gets only PATH, HOME, LANG, TERM, TP_* and what its agent type needs, plus these.',
      ),
  })
  .prefault({});

const verifySchema = z
  .object({
    commands: z
      .array(z.string())
      .default([])
      .describe('Commands run in the worktree after the agent (e.g. `npm test`).'),
    maxRounds: z
      .number()
      .int()
      .nonnegative()
      .default(2)
      .describe('Times verify output is sent back to the agent.'),
  })
  .prefault({});

const forgeSchema = z
  .object({
    type: z
      .enum(['local', 'gitea', 'github', 'gitlab'])
      .default('local')
      .describe('Where pull requests are opened.'),
    url: z.string().optional().describe('Forge base URL (env GITEA_URL for gitea).'),
    owner: z
      .string()
      .optional()
      .describe('Org/user owning the repo (env GITEA_ORG fills it for a gitea forge).'),
    repo: z.string().optional().describe('Repository name on the forge.'),
    createRepo: z.boolean().default(false).describe('Create the repository if it does not exist.'),
  })
  .prefault({});

const storeSchema = z
  .object({ path: z.string().default('.ticket-processor/state.db').describe('SQLite database file.') })
  .prefault({});

const retrySchema = z
  .object({
    maxAttempts: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Attempts per model; default ollama.retryAttempts.'),
    baseDelayMs: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('First backoff delay; default ollama.retryDelay.'),
    maxDelayMs: ms(60_000, 'Backoff ceiling.'),
    factor: z.number().min(1).default(2).describe('Backoff multiplier.'),
  })
  .prefault({});

const recoverySchema = z
  .object({
    autoRetry: z.boolean().default(false).describe('Requeue retryable failed tasks on a schedule.'),
    maxRetries: z.number().int().nonnegative().default(3).describe('Retry count cap per task.'),
    retryAfterMs: ms(600_000, 'Minimum age of a failure before it is retried automatically.'),
  })
  .prefault({});

const securitySchema = z
  .object({
    secretScan: z
      .boolean()
      .default(true)
      .describe('Scan every change for secrets before it is committed; a hit fails the task.'),
    allowPatterns: z
      .array(z.string())
      .default([])
      .describe('Regexes of added lines the secret scan accepts (known false positives).'),
  })
  .prefault({});

const sandboxSchema = z
  .object({
    mode: z
      .enum(['bwrap', 'none'])
      .optional()
      .describe(
        'How agents, run_command and verify commands are confined. `bwrap` (default when the bubblewrap binary is installed): only the worktree writable, private /tmp and PID namespace, the project .env, state, logs and other repositories hidden, no network for commands. `none`: no confinement (a warning is printed at start).',
      ),
    bwrapPath: z.string().default('bwrap').describe('The bubblewrap binary (a name on PATH or a path).'),
  })
  .prefault({});

export const configSchema = z.object({
  ollama: ollamaSchema,
  processing: processingSchema,
  queue: queueSchema,
  folders: foldersSchema,
  webhook: webhookSchema,
  git: gitSchema,
  logging: loggingSchema,
  taskIdFormat: taskIdSchema,
  tasks: tasksSchema,
  repository: repositorySchema,
  agent: agentSchema,
  verify: verifySchema,
  forge: forgeSchema,
  store: storeSchema,
  retry: retrySchema,
  recovery: recoverySchema,
  codeReview: codeReviewSchema,
  modelSelection: modelSelectionSchema,
  notifications: notificationsSchema,
  monitoring: monitoringSchema,
  security: securitySchema,
  sandbox: sandboxSchema,
  performance: performanceSchema,
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
