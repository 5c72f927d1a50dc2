/** Fills `{name}` placeholders; unknown placeholders are left as written so typos stay visible. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in vars ? (vars[key] ?? '') : whole));
}

/** A branch name git accepts, from the configured format. */
export function branchName(format: string, vars: Record<string, string>): string {
  const raw = renderTemplate(format, vars);
  return (
    raw
      .replace(/[\s~^:?*[\\]+/g, '-')
      .replace(/\.{2,}/g, '.')
      .replace(/^[-/.]+|[-/.]+$/g, '')
      .replace(/\.lock$/i, '') || `task-${vars.id ?? 'x'}`
  );
}
