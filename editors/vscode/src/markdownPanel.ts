// Show Markdown beside the editor: a command's result (a review) as an untitled document, and
// explanations as read-only virtual documents that update while the model writes.
import * as vscode from 'vscode';
import { type Explanation, ExplanationStore } from './explanationStream';

/** Open `content` as an untitled Markdown document and show its preview to the side. */
export async function showMarkdown(content: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ content, language: 'markdown' });
  await vscode.commands.executeCommand('markdown.showPreviewToSide', document.uri);
  return document;
}

export const EXPLANATION_SCHEME = 'grove-explanation';

/**
 * Explanations as `grove-explanation:/Explanation-<n>.md` documents (read-only, nothing to save
 * when closed), served from an {@link ExplanationStore}; the Markdown preview follows their changes.
 */
export class ExplanationPanel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration: vscode.Disposable;

  constructor(readonly store = new ExplanationStore()) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(EXPLANATION_SCHEME, {
      onDidChange: this.changed.event,
      provideTextDocumentContent: (uri) => this.store.content(uri.path),
    });
  }

  uri(explanation: Explanation): vscode.Uri {
    return vscode.Uri.parse(`${EXPLANATION_SCHEME}:${explanation.path}`);
  }

  /** A new explanation, waiting for the model (not shown yet: see {@link show}). */
  begin(title: string): Explanation {
    return this.store.begin(title);
  }

  /** Preview the explanation to the side. */
  async show(explanation: Explanation): Promise<void> {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', this.uri(explanation));
  }

  /** A `grove/explanationProgress` notification: update its explanation, if it is one of ours. */
  progress(params: unknown): void {
    this.fire(this.store.progress(params));
  }

  complete(explanation: Explanation, content: string): void {
    this.fire(this.store.complete(explanation.token, content));
  }

  fail(explanation: Explanation, message: string): void {
    this.fire(this.store.fail(explanation.token, message));
  }

  private fire(explanation: Explanation | undefined): void {
    if (explanation) {
      this.changed.fire(this.uri(explanation));
    }
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
