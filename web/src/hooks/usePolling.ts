import { useEffect } from 'react';

/**
 * Calls `poll` every `intervalMs` while `active` (a job started here or elsewhere is under way):
 * one request at a time — the next waits for the previous to finish — and none once the page is
 * gone or the job is over.
 */
export function usePolling(active: boolean, poll: () => Promise<unknown>, intervalMs: number): void {
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer = 0;
    const tick = async (): Promise<void> => {
      await poll();
      if (!stopped) timer = window.setTimeout(() => void tick(), intervalMs);
    };
    timer = window.setTimeout(() => void tick(), intervalMs);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, poll, intervalMs]);
}
