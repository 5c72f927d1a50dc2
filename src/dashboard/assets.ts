import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CLIENT_CSS } from './assets/client-css.js';
import { CLIENT_JS } from './assets/client-js.js';

/** A file served under `/assets/`. */
export interface Asset {
  type: string;
  body: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

let vendored: Record<string, Asset> | undefined;

/**
 * The dashboard's assets by file name: its own script and stylesheet, and uPlot from the
 * package's node_modules (never a CDN; the page's CSP allows only this origin). Read once.
 */
export function dashboardAssets(): Record<string, Asset> {
  if (!vendored) {
    const require = createRequire(import.meta.url);
    const read = (spec: string) => readFileSync(require.resolve(spec), 'utf8');
    vendored = {
      'dashboard.js': { type: JS, body: CLIENT_JS },
      'dashboard.css': { type: CSS, body: CLIENT_CSS },
      'uPlot.iife.min.js': { type: JS, body: read('uplot/dist/uPlot.iife.min.js') },
      'uPlot.min.css': { type: CSS, body: read('uplot/dist/uPlot.min.css') },
    };
  }
  return vendored;
}
