/** Schema migrations, applied in order; `user_version` records how far a database has come. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE runs (
     task_id TEXT PRIMARY KEY,
     file TEXT NOT NULL,
     format TEXT NOT NULL,
     state TEXT NOT NULL,
     stage TEXT,
     branch TEXT,
     commit_sha TEXT,
     pr_number INTEGER,
     pr_url TEXT,
     model_used TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     retry_count INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE attempts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     task_id TEXT NOT NULL,
     attempt_number INTEGER NOT NULL,
     model TEXT NOT NULL,
     host TEXT,
     started_at TEXT NOT NULL,
     duration_ms INTEGER,
     code TEXT,
     error TEXT,
     error_type TEXT,
     output_tail TEXT
   );
   CREATE INDEX attempts_task ON attempts(task_id);
   CREATE TABLE pull_requests (
     number INTEGER PRIMARY KEY AUTOINCREMENT,
     repo TEXT NOT NULL,
     head TEXT NOT NULL,
     base TEXT NOT NULL,
     title TEXT NOT NULL,
     body TEXT NOT NULL,
     labels TEXT NOT NULL DEFAULT '[]',
     state TEXT NOT NULL,
     task_id TEXT,
     created_at TEXT NOT NULL,
     merged_at TEXT
   );
   CREATE TABLE pr_comments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     pr_number INTEGER NOT NULL,
     body TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     ts TEXT NOT NULL,
     name TEXT NOT NULL,
     task_id TEXT,
     payload TEXT NOT NULL
   );`,
  // 2: webhooks find a task by the pull request its run recorded; one-time notices (the reply
  // to a commenter who may not start runs) are remembered across restarts.
  `CREATE INDEX runs_pr_number ON runs(pr_number);
   CREATE TABLE notices (key TEXT PRIMARY KEY, created_at TEXT NOT NULL);`,
  // 3: line comments of the local forge's reviews; the response cache of deterministic model
  // calls; what each model achieved per task kind (model selection learns from it).
  `CREATE TABLE review_comments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     pr_number INTEGER NOT NULL,
     path TEXT NOT NULL,
     line INTEGER,
     body TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX review_comments_pr ON review_comments(pr_number);
   CREATE TABLE model_cache (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX model_cache_created ON model_cache(created_at);
   CREATE TABLE model_outcomes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     task_id TEXT NOT NULL,
     model TEXT NOT NULL,
     kind TEXT NOT NULL,
     ok INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     tokens INTEGER,
     recorded_at INTEGER NOT NULL
   );
   CREATE INDEX model_outcomes_kind ON model_outcomes(kind, model, recorded_at);`,
  // 4: the audit log becomes a hash chain (each row holds the previous row's hash and its own,
  // over task, model, host, commit, PR, actor, event and time); notification deliveries are
  // kept, so failed ones can be shown and retried.
  `ALTER TABLE audit ADD COLUMN actor TEXT;
   ALTER TABLE audit ADD COLUMN model TEXT;
   ALTER TABLE audit ADD COLUMN host TEXT;
   ALTER TABLE audit ADD COLUMN commit_sha TEXT;
   ALTER TABLE audit ADD COLUMN pr TEXT;
   ALTER TABLE audit ADD COLUMN prev_hash TEXT;
   ALTER TABLE audit ADD COLUMN hash TEXT;
   CREATE INDEX audit_ts ON audit(ts);
   CREATE TABLE notification_deliveries (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     channel TEXT NOT NULL,
     event TEXT NOT NULL,
     subject TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX notification_deliveries_status ON notification_deliveries(status, created_at);`,
  // 5: BullMQ backend. The jobs whose results were applied (applying twice replays nothing), and
  // the job each task in progress was handed to, with its data, so a restarted coordinator
  // re-attaches to it (or adds it again when it died between claim and add).
  `CREATE TABLE applied_jobs (job_id TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
   CREATE TABLE dispatched_jobs (
     task_id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL,
     queue TEXT NOT NULL,
     data TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
];
