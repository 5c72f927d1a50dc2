import { afterEach } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';

/**
 * Returns `open(root)`, which builds the real app for a project folder (config.json there, an
 * empty environment); every app opened in a test is closed after it (once, even if the test
 * closed it already).
 */
export function openAppsClosedAfterEach(): (root: string) => Promise<App> {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });
  return async (root) => {
    const app = await createApp(loadConfig({ cwd: root, env: {} }));
    // A test may close an app itself (to reopen the project): closing is made idempotent.
    const close = app.close.bind(app);
    let closing: Promise<void> | undefined;
    app.close = () => {
      closing ??= close();
      return closing;
    };
    apps.push(app);
    return app;
  };
}
