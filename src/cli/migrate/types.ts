/** One finding of `migrate`: what behaves the same here, or what differs and how to adapt. */
export interface MigrateItem {
  status: 'same' | 'differs';
  /** Short area name: config, env, forge, repository, agent, webhook, pm2, systemd, folders, … */
  topic: string;
  message: string;
  /** What to change; only for `differs`. */
  fix?: string;
}

export const same = (topic: string, message: string): MigrateItem => ({ status: 'same', topic, message });

export const differs = (topic: string, message: string, fix: string): MigrateItem => ({
  status: 'differs',
  topic,
  message,
  fix,
});
