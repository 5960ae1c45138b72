import { useEffect, useRef, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import type { PixelFrame } from '../../api/images';
import type { StackItem } from './stack';

/** Frames kept in memory per viewer (a 512 × 512 CT frame is 0.5 MB). */
const CACHE_SIZE = 200;

export interface PixelsState {
  /** The last image that arrived (kept on screen while the next one loads). */
  frame: PixelFrame | null;
  /** The key of `frame`, or of the failed item. */
  key: string | null;
  error: ApiError | null;
}

/**
 * The pixels of `stack[position]`, each item read once (every read is an audited view) and the
 * next and previous ones read ahead so that scrolling does not wait.
 */
export function usePixels(stack: readonly StackItem[], position: number): PixelsState {
  const cache = useRef(new Map<string, Promise<PixelFrame>>());
  const [state, setState] = useState<PixelsState>({ frame: null, key: null, error: null });

  useEffect(() => {
    const fetchItem = (item: StackItem): Promise<PixelFrame> => {
      const known = cache.current.get(item.key);
      if (known !== undefined) return known;
      const loading = item.load();
      cache.current.set(item.key, loading);
      loading.catch(() => cache.current.delete(item.key));
      if (cache.current.size > CACHE_SIZE) {
        const oldest = cache.current.keys().next().value;
        if (oldest !== undefined) cache.current.delete(oldest);
      }
      return loading;
    };
    const item = stack[position];
    if (item === undefined) return;
    let current = true;
    fetchItem(item).then(
      (frame) => current && setState({ frame, key: item.key, error: null }),
      (caught: unknown) => current && setState((previous) => ({ ...previous, key: item.key, error: toApiError(caught) })),
    );
    for (const next of [stack[position + 1], stack[position - 1]]) if (next !== undefined) fetchItem(next).catch(() => undefined);
    return () => {
      current = false;
    };
  }, [stack, position]);

  return state;
}
