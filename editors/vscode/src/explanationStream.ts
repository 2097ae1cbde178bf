// Explanations as they stream, pure (no `vscode`): each explain request gets a token (sent as
// `stream` in its params) and a virtual Markdown document; `grove/explanationProgress`
// notifications for the token replace the document's text, then the command's result (or its
// error) does. markdownPanel.ts shows the documents.
import type { CommandResult } from './commands';

export const PROGRESS_NOTIFICATION = 'grove/explanationProgress';
export const WAITING = '_Waiting for the model…_';
export const EXPIRED = '_This explanation is no longer available: run the command again._';

/** The `grove/explanationProgress` params: the explanation so far, full text, no heading. */
export interface ExplanationProgress {
  token: string;
  markdown: string;
}

export interface Explanation {
  /** The `stream` token sent with the request. */
  readonly token: string;
  /** The virtual document's path, e.g. `/Explanation-3.md` (a `.md` path, so it is Markdown). */
  readonly path: string;
  readonly title: string;
  /** The document's text: heading and the explanation so far, the result or the error. */
  content: string;
  /** A result or error arrived: later progress for the token is ignored. */
  done: boolean;
}

export function isExplanationProgress(params: unknown): params is ExplanationProgress {
  if (typeof params !== 'object' || params === null) {
    return false;
  }
  const record = params as Record<string, unknown>;
  return typeof record.token === 'string' && typeof record.markdown === 'string';
}

function titled(title: string, body: string): string {
  return `# ${title}\n\n${body}`;
}

/** The document text (heading included) for a command's result, as read by readResult. */
export function resultContent(title: string, result: CommandResult): string {
  switch (result.kind) {
    case 'markdown':
      return titled(title, result.markdown);
    case 'message':
      return titled(title, `_${result.message}_`);
    case 'edit':
      return titled(title, '_The server answered with an edit; it was applied._');
    case 'none':
      return titled(title, '_The server returned no explanation._');
    case 'unexpected':
      return titled(title, `**Unexpected result from the server:**\n\n\`\`\`json\n${result.json}\n\`\`\``);
  }
}

/** The explanations of this session, the most recent `limit` of them (older ones are dropped). */
export class ExplanationStore {
  private counter = 0;
  private readonly byPath = new Map<string, Explanation>();
  private readonly byToken = new Map<string, Explanation>();

  constructor(
    readonly limit = 20,
    private readonly tokenPrefix = 'grove-explain',
  ) {}

  get size(): number {
    return this.byPath.size;
  }

  /** A new explanation, waiting for the model. */
  begin(title: string): Explanation {
    this.counter += 1;
    const explanation: Explanation = {
      token: `${this.tokenPrefix}-${this.counter}`,
      path: `/${title.replace(/[^A-Za-z0-9_-]+/g, '-')}-${this.counter}.md`,
      title,
      content: titled(title, WAITING),
      done: false,
    };
    this.byPath.set(explanation.path, explanation);
    this.byToken.set(explanation.token, explanation);
    while (this.byPath.size > this.limit) {
      const oldest = this.byPath.values().next().value as Explanation;
      this.byPath.delete(oldest.path);
      this.byToken.delete(oldest.token);
    }
    return explanation;
  }

  get(token: string): Explanation | undefined {
    return this.byToken.get(token);
  }

  /** The text of the document at `path` (a dropped or unknown one says so). */
  content(path: string): string {
    return this.byPath.get(path)?.content ?? EXPIRED;
  }

  /** Apply a progress notification: the changed explanation, or undefined (unknown token, done, malformed). */
  progress(params: unknown): Explanation | undefined {
    if (!isExplanationProgress(params)) {
      return undefined;
    }
    const explanation = this.byToken.get(params.token);
    if (!explanation || explanation.done) {
      return undefined;
    }
    const content = titled(explanation.title, params.markdown.trim() === '' ? WAITING : params.markdown);
    if (content === explanation.content) {
      return undefined;
    }
    explanation.content = content;
    return explanation;
  }

  /** The command's result, the whole document text (heading included): it replaces the streamed text. */
  complete(token: string, content: string): Explanation | undefined {
    return this.finish(token, content);
  }

  /** The command failed: the document shows the error. */
  fail(token: string, message: string): Explanation | undefined {
    const explanation = this.byToken.get(token);
    return explanation && this.finish(token, titled(explanation.title, `**Failed:** ${message}`));
  }

  private finish(token: string, content: string): Explanation | undefined {
    const explanation = this.byToken.get(token);
    if (!explanation) {
      return undefined;
    }
    explanation.content = content;
    explanation.done = true;
    return explanation;
  }
}
