// How often a crashed server is restarted. Pure (no `vscode`).

export const MAX_RESTARTS = 4;
export const WINDOW_MS = 3 * 60 * 1000;
/** The wait before the first restart; it doubles with each recent crash, up to MAX_DELAY_MS. */
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 8000;

/** Allows at most `max` restarts within a sliding `windowMs`, each after a growing delay; then gives up until reset. */
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

  /** How long to wait before the restart that the last `shouldRestart()` allowed. */
  delayMs(): number {
    const doublings = Math.max(0, this.crashes.length - 1);
    return Math.min(FIRST_DELAY_MS * 2 ** doublings, MAX_DELAY_MS);
  }
}

export function gaveUpMessage(max: number = MAX_RESTARTS, windowMs: number = WINDOW_MS): string {
  const minutes = Math.round(windowMs / 60000);
  return (
    `Grove: the server crashed ${max + 1} times in the last ${minutes} minutes and will not be ` +
    'restarted automatically. See "Grove: Show logs", then run "Grove: Restart server".'
  );
}
