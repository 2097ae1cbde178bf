// The language status item's text, from `grove.status`. Pure (no `vscode`).

export type Severity = 'information' | 'warning' | 'error';

export interface StatusView {
  text: string;
  detail: string;
  severity: Severity;
  busy: boolean;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Status item from a `grove.status` result or `grove/status` push (target, lastError, busy...). */
export function statusView(status: unknown): StatusView {
  if (typeof status !== 'object' || status === null) {
    return { text: 'Grove', detail: 'no status', severity: 'warning', busy: false };
  }
  const s = status as Record<string, unknown>;
  const target = str(s.target) ?? 'unknown model';
  const lastError = str(s.lastError);
  const inFlight = typeof s.inFlight === 'number' ? s.inFlight : 0;
  const enabled = s.completionEnabled !== false;
  const parts = [`Grove: ${target}`];
  if (!enabled) {
    parts.push('(completions off)');
  }
  const details: string[] = [];
  const origin = str(s.origin);
  if (origin) {
    details.push(origin);
  }
  if (lastError) {
    details.push(`last error: ${lastError}`);
  }
  if (typeof s.requests === 'number') {
    details.push(`${s.requests} requests`);
  }
  if (typeof s.cacheHitRate === 'number') {
    details.push(`cache hit ${Math.round(s.cacheHitRate * 100)}%`);
  }
  return {
    text: parts.join(' '),
    detail: details.join(' · ') || 'ready',
    severity: lastError ? 'error' : 'information',
    busy: s.busy === true || inFlight > 0,
  };
}

export function stoppedView(reason: string): StatusView {
  return { text: 'Grove: stopped', detail: reason, severity: 'error', busy: false };
}

export function startingView(): StatusView {
  return { text: 'Grove: starting', detail: '', severity: 'information', busy: true };
}

/** Markdown lines for the status QuickPick/message (sorted keys, like :GroveStatus in Neovim). */
export function statusLines(status: unknown): string[] {
  if (typeof status !== 'object' || status === null) {
    return [`status: ${JSON.stringify(status)}`];
  }
  return Object.keys(status)
    .sort()
    .map((key) => {
      const value = (status as Record<string, unknown>)[key];
      const shown = value === null || value === undefined ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value);
      return `${key}: ${shown}`;
    });
}
