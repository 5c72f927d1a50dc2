/** The operators' dashboard: the page, its assets and the retry action behind its button. */
export { type Asset, dashboardAssets } from './assets.js';
export { escapeHtml, formatCount, formatMs, formatRate } from './format.js';
export { type PageOptions, renderPage } from './render.js';
export { type RetryOutcome, retryFailedTask } from './retry.js';
