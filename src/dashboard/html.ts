import { escapeHtml as h } from './format.js';

/* The page's building blocks: every text goes through escapeHtml here, so panels cannot forget it. */

export type Cell = [field: string, text: string, value?: string | number | boolean];

/** Table cells, each with its field name and (for numbers) the raw value the script reads. */
export const cells = (row: Cell[]) =>
  row
    .map(
      ([field, text, value]) =>
        `<td data-field="${field}"${value === undefined ? '' : ` data-value="${h(value)}"`}>${h(text)}</td>`,
    )
    .join('');

/** A table with a header row; one `empty` row when there is nothing to show. */
export const table = (id: string, heads: string[], rows: string[], empty: string) =>
  `<table id="${id}"><thead><tr>${heads.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${
    rows.length > 0 ? rows.join('') : `<tr class="empty"><td colspan="${heads.length}">${h(empty)}</td></tr>`
  }</tbody></table>`;

/** A titled panel; `id` is fixed by the code (the script swaps panels by id). */
export const section = (id: string, title: string, body: string) =>
  `<section id="${id}"><h2>${h(title)}</h2>${body}</section>`;
