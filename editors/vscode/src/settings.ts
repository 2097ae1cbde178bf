// The `grove` settings section as the server sees it. Pure (no `vscode`).

export const SECTION = 'grove';

/** Settings only the VS Code client reads; the server would warn about them as unknown. */
export const CLIENT_ONLY_KEYS = ['serverPath', 'trace'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The section to send to the server (initializationOptions and workspace/configuration answers):
 * a plain nested object without the client-only keys. Accepts nested (`{completion: {enabled}}`)
 * or dotted (`{'completion.enabled': …}`) input, as VS Code can produce either.
 */
export function serverSettings(section: unknown): Record<string, Json> {
  if (!isObject(section)) {
    return {};
  }
  const result: Record<string, Json> = {};
  for (const [key, value] of Object.entries(section)) {
    if (typeof value === 'function' || value === undefined) {
      continue; // WorkspaceConfiguration methods (get/has/inspect/update)
    }
    const head = key.split('.')[0];
    if ((CLIENT_ONLY_KEYS as readonly string[]).includes(head)) {
      continue;
    }
    result[key] = JSON.parse(JSON.stringify(value)) as Json;
  }
  return result;
}

/** Where `completion.enabled` differs per language (VS Code's `"[markdown]": {...}` overrides). */
export type LanguageOverrides = Readonly<Record<string, boolean>>;

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A `completion.*` value from nested or dotted settings. */
function completionValue(settings: Record<string, Json>, key: string): Json | undefined {
  const dotted = settings[`completion.${key}`];
  if (dotted !== undefined) {
    return dotted;
  }
  const nested = settings.completion;
  return isObject(nested) ? (nested as Record<string, Json>)[key] : undefined;
}

/**
 * Fold per-language `completion.enabled` overrides into what the server understands (it knows
 * nothing of VS Code's language overrides): each language whose value is false joins
 * `completion.disabledLanguages`, and `completion.enabled` is true when completions are on
 * globally or for any language (the client's middleware keeps the others quiet, see
 * `completionAllowed`). Settings without overrides are returned unchanged.
 */
export function withLanguageOverrides(
  settings: Record<string, Json>,
  overrides: LanguageOverrides,
): Record<string, Json> {
  const languages = Object.keys(overrides);
  if (languages.length === 0) {
    return settings;
  }
  const globally = completionValue(settings, 'enabled') !== false;
  const disabled = stringList(completionValue(settings, 'disabledLanguages'));
  for (const language of languages.sort()) {
    if (!overrides[language] && !disabled.includes(language)) {
      disabled.push(language);
    }
  }
  const result: Record<string, Json> = { ...settings };
  delete result['completion.enabled'];
  delete result['completion.disabledLanguages'];
  const completion = isObject(settings.completion) ? (settings.completion as Record<string, Json>) : {};
  result.completion = {
    ...completion,
    enabled: globally || languages.some((language) => overrides[language]),
    disabledLanguages: disabled,
  };
  return result;
}

/**
 * Whether to ask the server for completions in a document: `enabled` is `completion.enabled` as
 * VS Code resolves it for the document (its language override included), `disabledLanguages`
 * the configured list.
 */
export function completionAllowed(enabled: unknown, disabledLanguages: unknown, languageId: string): boolean {
  return enabled !== false && !stringList(disabledLanguages).includes(languageId);
}
