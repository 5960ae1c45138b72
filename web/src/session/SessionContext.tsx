import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { flushSync } from 'react-dom';
import { fetchMe, logout } from '../api/auth';
import { logoutEverywhere } from '../api/account';
import { configureClient } from '../api/client';
import { ApiError, ErrorCode, isSessionEnd, toApiError } from '../api/errors';
import type { Me, MfaMethod } from '../api/types';
import { navigate } from '../router/history';
import { paths, rememberReturnTo, resetReturnTo } from '../router/paths';

/** What the app knows about the session. */
export type SessionState =
  | { status: 'loading' }
  | { status: 'error'; error: ApiError }
  | { status: 'signed-out' }
  | { status: 'signed-in'; me: Me };

/** Why the sign-in page is shown, when it is worth saying. */
export type SessionNotice = 'expired' | 'signed-out-everywhere' | null;

/** What useSession() gives: the state and the actions that change it. */
export interface SessionValue {
  state: SessionState;
  notice: SessionNotice;
  /** Second-factor methods offered by the last sign-in answer (null after a reload). */
  methods: MfaMethod[] | null;
  /** Asks the server who is signed in; null when nobody is. */
  reload: () => Promise<Me | null>;
  setMethods: (methods: MfaMethod[] | null) => void;
  clearNotice: () => void;
  /** Signs out here, or everywhere; throws only when signing out everywhere failed. */
  signOut: (options?: { everywhere?: boolean }) => Promise<void>;
}

/** The session context itself; exported so that tests can provide a fixed session. */
export const SessionContext = createContext<SessionValue | null>(null);

/** Holds the session for the whole app and reacts, in one place, to a session that ended. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [notice, setNotice] = useState<SessionNotice>(null);
  const [methods, setMethods] = useState<MfaMethod[] | null>(null);

  const reload = useCallback(async (): Promise<Me | null> => {
    // Committed at once (flushSync) so that a navigate() right after sees the new stage.
    try {
      const me = await fetchMe();
      flushSync(() => setState({ status: 'signed-in', me }));
      return me;
    } catch (error) {
      if (!isSessionEnd(error)) throw error;
      flushSync(() => setState({ status: 'signed-out' }));
      return null;
    }
  }, []);

  // On load, GET /api/auth/me decides where the visitor goes (see redirectFor).
  useEffect(() => {
    fetchMe().then(
      (me) => setState({ status: 'signed-in', me }),
      (error: unknown) => {
        if (!isSessionEnd(error)) {
          setState({ status: 'error', error: toApiError(error) });
          return;
        }
        if (error.code === ErrorCode.sessionExpired && window.location.pathname !== paths.enrol) setNotice('expired');
        setState({ status: 'signed-out' });
      },
    );
  }, []);

  // Any call that proves the session is over lands here.
  useEffect(() => {
    configureClient({
      sessionEnded: (code) => {
        rememberReturnTo(window.location.pathname);
        // State and path change in one render, so no page sees the old session at the new path.
        flushSync(() => {
          setNotice(code === ErrorCode.unauthenticated ? null : 'expired');
          setMethods(null);
          setState({ status: 'signed-out' });
          navigate(paths.signIn);
        });
      },
    });
    return () => configureClient({ sessionEnded: undefined });
  }, []);

  const signOut = useCallback(async (options: { everywhere?: boolean } = {}): Promise<void> => {
    if (options.everywhere === true) {
      await logoutEverywhere();
    } else {
      try {
        await logout();
      } catch {
        // Signing out of a session the server no longer knows is still signing out.
      }
    }
    resetReturnTo();
    flushSync(() => {
      setNotice(options.everywhere === true ? 'signed-out-everywhere' : null);
      setMethods(null);
      setState({ status: 'signed-out' });
      navigate(paths.signIn);
    });
  }, []);

  const clearNotice = useCallback(() => setNotice(null), []);

  const value = useMemo<SessionValue>(
    () => ({ state, notice, methods, reload, setMethods, clearNotice, signOut }),
    [state, notice, methods, reload, clearNotice, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session context; only inside SessionProvider. */
export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession must be used inside SessionProvider');
  return value;
}

/** The signed-in user; only on pages the router shows to a signed-in session. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe needs a signed-in session');
  return state.me;
}
