/**
 * Bounds the bytes held in memory by uploads being validated at the same time (the parsers need a
 * whole file: dicom-parser works on one buffer), and by small uploads held while they are received and
 * scanned (upload-staging.ts, `tryAcquire`: without room they stream to a staging object instead).
 * Never more than the budget in total. A file larger than the whole budget waits until it is alone.
 */
export class MemoryBudget {
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(private readonly budget: number) {}

  /** Waits until `bytes` fit (first come, first served); resolves to the function that gives them back. */
  async acquire(bytes: number): Promise<() => void> {
    if (this.waiting.length === 0 && this.fits(bytes)) this.used += bytes;
    else await new Promise<void>((grant) => this.waiting.push({ bytes, grant })); // wake() counts them

    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.wake();
    };
  }

  /**
   * Takes `bytes` now if they fit and nobody is waiting; undefined otherwise (the caller then does
   * without memory: small uploads fall back to a staging object on disk). Never waits.
   */
  tryAcquire(bytes: number): (() => void) | undefined {
    if (this.waiting.length > 0 || this.used + bytes > this.budget) return undefined;
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.wake();
    };
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.budget;
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.fits((this.waiting[0] as { bytes: number }).bytes)) {
      const next = this.waiting.shift() as { bytes: number; grant: () => void };
      this.used += next.bytes;
      next.grant();
    }
  }
}
