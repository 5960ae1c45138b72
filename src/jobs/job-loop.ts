/**
 * A polling loop for durable jobs kept in PostgreSQL tables (research exports today): `work` runs
 * every `intervalMs`, at once when woken (a job queued in this process), and never twice at the
 * same time. Several processes may run the same loop: the tables' claims (FOR UPDATE SKIP LOCKED)
 * keep them from taking the same job. See docs/adr for why this is not pg-boss yet.
 */
export class JobLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly work: () => Promise<unknown>, private readonly intervalMs: number, private readonly onError: (error: unknown) => void) {}

  start(): this {
    this.timer = setInterval(() => this.wake(), this.intervalMs);
    this.timer.unref();
    this.wake();
    return this;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.work();
        } catch (error) {
          this.onError(error);
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Lets the current run finish; no new run starts. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
