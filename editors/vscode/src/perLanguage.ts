// Grove serves every language; completions can be switched off per language. VS Code's language
// overrides (`"[markdown]": {"grove.completion.enabled": false}`) are resolved here, where the
// `vscode` API is: folded into the settings sent to the server, and checked before each request.
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { type LanguageOverrides, SECTION, completionAllowed, serverSettings, withLanguageOverrides } from './settings';

/** Every document on disk or not yet saved, whatever its language (the server decides). */
export const DOCUMENT_SELECTOR = [{ scheme: 'file' }, { scheme: 'untitled' }];

/** `completion.enabled` for each language that overrides it. */
export function languageOverrides(): LanguageOverrides {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<boolean>('completion.enabled');
  const overrides: Record<string, boolean> = {};
  for (const languageId of inspected?.languageIds ?? []) {
    const value = vscode.workspace.getConfiguration(SECTION, { languageId }).get<boolean>('completion.enabled');
    if (typeof value === 'boolean') {
      overrides[languageId] = value;
    }
  }
  return overrides;
}

/** The `grove` section as the server gets it: no client-only keys, language overrides folded in. */
export function settingsForServer(section: unknown): ReturnType<typeof serverSettings> {
  return withLanguageOverrides(serverSettings(section), languageOverrides());
}

/** Whether completions are on for this document (its language's override included). */
export function completionOn(document: vscode.TextDocument): boolean {
  const config = vscode.workspace.getConfiguration(SECTION, document);
  return completionAllowed(
    config.get<boolean>('completion.enabled'),
    config.get<string[]>('completion.disabledLanguages'),
    document.languageId,
  );
}

/** Ask for inline completions (and fallback completion items) only where they are on. */
export const completionMiddleware: Pick<Middleware, 'provideInlineCompletionItems' | 'provideCompletionItem'> = {
  provideInlineCompletionItems: (document, position, context, token, next) =>
    completionOn(document) ? next(document, position, context, token) : undefined,
  provideCompletionItem: (document, position, context, token, next) =>
    completionOn(document) ? next(document, position, context, token) : undefined,
};
