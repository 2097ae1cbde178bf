// How often a crashed server is restarted. Pure (no `vscode`).

export const MAX_RESTARTS = 4;
export const WINDOW_MS = 3 * 60 * 1000;

/** Allows at most `max` restarts within a sliding `windowMs`; then gives up until reset. */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    readonly max: number = MAX_RESTARTS,
    readonly windowMs: number = WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record a crash; true if the server should be restarted. */
  shouldRestart(): boolean {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    return this.crashes.length <= this.max;
  }

  /** Forget past crashes (after a manual restart). */
  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}

export function gaveUpMessage(max: number = MAX_RESTARTS, windowMs: number = WINDOW_MS): string {
  const minutes = Math.round(windowMs / 60000);
  return (
    `Grove: the server crashed ${max + 1} times in the last ${minutes} minutes and will not be ` +
    'restarted automatically. See "Grove: Show logs", then run "Grove: Restart server".'
  );
}
