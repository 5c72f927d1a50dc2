/**
 * Quotes a value for POSIX `sh` so it is always one literal word: single quotes stop every
 * expansion, and an embedded `'` is closed, escaped and reopened. Model names and paths can
 * come from task files, which users (or models) write, so nothing is interpolated raw.
 */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Placeholders a command template may use, e.g. `aider --model ollama_chat/{model}`. */
export type TemplateVars = Partial<
  Record<'model' | 'promptFile' | 'taskFile' | 'workdir' | 'taskId' | 'ollamaHost', string>
>;

const PLACEHOLDER = /\{(model|promptFile|taskFile|workdir|taskId|ollamaHost)\}/g;

/**
 * Replaces known `{name}` placeholders with shell-quoted values. Unknown braces are left
 * alone so shell syntax such as `${HOME}` or `{a,b}` keeps working; a known placeholder with
 * no value becomes an empty word (`''`) rather than vanishing and shifting arguments.
 */
export function renderCommandTemplate(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (_m, name: keyof TemplateVars, offset: number) => {
    // `${model}` is shell syntax for the variable, not our placeholder.
    if (offset > 0 && template[offset - 1] === '$') return `{${name}}`;
    return shellQuote(vars[name] ?? '');
  });
}
