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
