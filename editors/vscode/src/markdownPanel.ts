// Show Markdown beside the editor as read-only virtual documents (nothing to save when closed):
// explanations, which update while the model writes, and other commands' Markdown results.
import * as vscode from 'vscode';
import { type Explanation, ExplanationStore } from './explanationStream';

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

  /** Preview a finished result (a command that does not stream): `content` is the whole text. */
  async showResult(title: string, content: string): Promise<void> {
    const shown = this.begin(title);
    this.complete(shown, content);
    await this.show(shown);
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
