import { useCallback, useState, type Dispatch, type SetStateAction } from 'react';
import { type ApiError, toApiError } from '../api/errors';

/** Something read from the API, with the error of the last attempt to read it. */
export interface Loaded<T> {
  /** Null until the first read succeeds. */
  value: T | null;
  setValue: Dispatch<SetStateAction<T | null>>;
  /** The error of the last read; cleared when a read succeeds. */
  error: ApiError | null;
  /** Reads again (from an effect, or after a change); never rejects. */
  load: () => Promise<void>;
}

/** Keeps what `read` returns (a stable function, such as an API call) and its error; `load` runs it. */
export function useLoaded<T>(read: () => Promise<T>): Loaded<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async (): Promise<void> => {
    try {
      setValue(await read());
      setError(null);
    } catch (caught) {
      setError(toApiError(caught));
    }
  }, [read]);

  return { value, setValue, error, load };
}
