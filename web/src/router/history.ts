import { useSyncExternalStore } from 'react';

/** A tiny router on the History API: one store for the current path, no library. */

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function currentPath(): string {
  return window.location.pathname;
}

/**
 * Goes to an in-app path. `replace` rewrites the current history entry instead of adding one
 * (used for redirects, so that Back does not bounce).
 */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search + window.location.hash;
  if (to === current) return;
  if (options.replace === true) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo(0, 0);
  notify();
}

/** The current location pathname; re-renders on navigate() and on Back/Forward. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, currentPath, currentPath);
}
