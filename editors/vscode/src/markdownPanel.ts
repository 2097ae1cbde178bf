// Show a command's Markdown result (an explanation, a review) in a preview beside the editor.
import * as vscode from 'vscode';

/** Open `content` as an untitled Markdown document and show its preview to the side. */
export async function showMarkdown(content: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ content, language: 'markdown' });
  await vscode.commands.executeCommand('markdown.showPreviewToSide', document.uri);
  return document;
}
