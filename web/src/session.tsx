// The signed-in account: a bearer token from /api/auth/login kept in localStorage (the API
// reads `Authorization: Bearer`), and the account it belongs to. The API client reads the
// token through this provider, never from a global.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { answer, createApiClient, type ApiClient } from "./api/client.ts";
import type { Account, Role, SessionResponse } from "./api/types.ts";
import { readStored, writeStored } from "./storage.ts";

type StoredSession = { token: string; account: Account };

type SessionValue = {
  api: ApiClient;
  account: Account | undefined;
  hasRole(...roles: Role[]): boolean;
  signIn(session: SessionResponse): void;
  signOut(): Promise<void>;
};

const sessionStorageKey = "kl.session";
const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider(props: { children: ReactNode; baseUrl: string }) {
  const [session, setSession] = useState<StoredSession | undefined>(() => readStored<StoredSession>(sessionStorageKey));
  const tokenRef = useRef(session?.token);
  tokenRef.current = session?.token;
  const api = useMemo(() => createApiClient({ baseUrl: props.baseUrl, token: () => tokenRef.current }), [props.baseUrl]);

  const signIn = useCallback((response: SessionResponse) => {
    const next = { token: response.token, account: response.account };
    tokenRef.current = next.token;
    writeStored(sessionStorageKey, next);
    setSession(next);
  }, []);
  const signOut = useCallback(async () => {
    await answer(api.POST("/api/auth/logout")).catch(() => undefined);
    tokenRef.current = undefined;
    writeStored(sessionStorageKey, undefined);
    setSession(undefined);
  }, [api]);

  // A token can expire or be revoked elsewhere: refresh the account once, drop it if refused.
  // The stored session is rewritten only while it is still this token's: another tab may have
  // signed in as someone else meanwhile, and this answer must not put the old account back.
  const sessionToken = session?.token;
  useEffect(() => {
    if (!sessionToken) return;
    let cancelled = false;
    const storedIsThisToken = () => readStored<StoredSession>(sessionStorageKey)?.token === sessionToken;
    answer(api.GET("/api/me")).then(
      (account) => {
        if (!cancelled) {
          const next = { token: sessionToken, account };
          if (storedIsThisToken()) writeStored(sessionStorageKey, next);
          setSession((current) => (current?.token === next.token ? next : current));
        }
      },
      (error: { status?: number }) => {
        if (!cancelled && error.status === 401) {
          if (storedIsThisToken()) writeStored(sessionStorageKey, undefined);
          setSession(undefined);
        }
      },
    );
    return () => {
      cancelled = true;
    };
    // Only on a new token: the account refresh itself must not loop.
  }, [sessionToken, api]);

  const value = useMemo<SessionValue>(
    () => ({
      api,
      account: session?.account,
      hasRole: (...roles) => Boolean(session?.account.roles.some((role) => roles.includes(role))),
      signIn,
      signOut,
    }),
    [api, session, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession needs a SessionProvider above it.");
  return value;
}
