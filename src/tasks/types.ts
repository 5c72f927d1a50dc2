/** Priority of a task; unknown values are a validation error, not a silent default. */
export type Priority = 'high' | 'medium' | 'low';

/** The format a task file is written in. */
export type TaskFormat = 'folders' | 'backlog';

/**
 * A task as the pipeline sees it, whatever file format it came from. Field names follow
 * the original tool's frontmatter; Backlog.md fields are mapped onto them.
 */
export interface Task {
  /** Numeric id as a string ("42"), taken from the file name (or Backlog.md `id`). */
  id: string;
  title: string;
  status: string | undefined;
  priority: Priority;
  /** Model as written (may carry an `ollama/` prefix). */
  model: string | undefined;
  suggestedModels: string[];
  /**
   * The seed's `modelPreference` tag: names a list in `modelSelection.profiles`
   * (e.g. `security-focused`); used by the `auto` selection strategy.
   */
  modelPreference?: string | undefined;
  description: string;
  acceptanceCriteria: string[];
  labels: string[];
  /** Ids of tasks that must be completed first (normalised to bare ids: "7"). */
  dependencies: string[];
  estimatedHours: number | undefined;
  assignee: string | undefined;
  createdAt: string | undefined;
  /** Per-task override of `repository.url`. */
  repo: string | undefined;
  /** Per-task override of `repository.baseBranch`. */
  baseBranch: string | undefined;
  /** Markdown body after the frontmatter (original) or the non-section text (Backlog.md). */
  body: string;
  format: TaskFormat;
  /** Backlog.md: the id exactly as the file writes it (`TASK-12`), for `backlog task …` commands. */
  rawId?: string;
  /** Backlog.md: text of the Implementation Plan section, when present. */
  implementationPlan?: string;
  /** Backlog.md: text of the Implementation Notes section, when present. */
  implementationNotes?: string;
}

/** A parse or validation failure, with the 1-based line it points at when known. */
export interface TaskProblem {
  message: string;
  line?: number;
  field?: string;
}
