/*
 * The parts of Gitea API v1 responses the adapter reads (definitions Repository,
 * PullRequest, PRBranchInfo, Label, User in the swagger spec). Everything is optional or
 * nullable because real servers omit or null fields the spec lists (e.g. `merged_at`).
 */

export interface GiteaUser {
  id?: number;
  login?: string;
}

export interface GiteaRepository {
  id?: number;
  name?: string;
  full_name?: string;
  clone_url?: string;
  html_url?: string;
  default_branch?: string;
  empty?: boolean;
  owner?: GiteaUser | null;
}

export interface GiteaBranchInfo {
  label?: string;
  ref?: string;
  sha?: string;
}

export interface GiteaPullRequest {
  id?: number;
  number: number;
  title?: string;
  html_url?: string;
  url?: string;
  state?: string;
  merged?: boolean;
  head?: GiteaBranchInfo | null;
  base?: GiteaBranchInfo | null;
}

export interface GiteaLabel {
  id: number;
  name: string;
}

/** `RepoCollaboratorPermission`: `permission` is an access mode (none, read, write, admin, owner). */
export interface GiteaCollaboratorPermission {
  permission?: string;
  role_name?: string;
  user?: GiteaUser | null;
}

/** `PullReview`: a submitted review. */
export interface GiteaPullReview {
  id?: number;
  state?: string;
  body?: string;
  commit_id?: string;
  comments_count?: number;
}
