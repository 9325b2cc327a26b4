import { useEffect, useState, useSyncExternalStore } from 'react';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { auth } from '../lib/auth';
import { resetLive } from '../lib/live-telemetry';
import { ApiError } from '../lib/problem';
import { Splash } from '../components/ui/states';
import { createAppRouter } from './router';
import { RealtimeProvider } from './realtime';

/**
 * Pages for people without an account (the public ticket form, the requester portal, the forgotten
 * password, reset and invitation pages): never sent to the login page.
 */
export const isPublicPath = (pathname: string) => /^\/(support|portal)\//.test(pathname) || /^\/(forgot-password|reset-password|invite)\/?$/.test(pathname);

function makeQueryClient() {
  // A 401 that survived the refresh-and-retry means the session ended elsewhere (revoked, deactivated).
  const onError = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) auth.expire();
  };
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
      },
    },
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
  });
}

/** Boot: a session from the refresh cookie first, then the router (which loads the user and their permissions). */
export function App() {
  const [queryClient] = useState(makeQueryClient);
  const [router] = useState(() => createAppRouter(queryClient));
  const { status } = useSyncExternalStore(auth.subscribe, auth.getSnapshot);

  useEffect(() => {
    void auth.init();
  }, []);

  useEffect(() => {
    if (status !== 'anonymous') return;
    // Signed out (here, in another tab, or the session ended): forget everything, back to the login page.
    const { pathname, href } = router.state.location;
    if (isPublicPath(pathname)) return;
    const leave = pathname.startsWith('/login')
      ? Promise.resolve()
      : router.navigate({ to: '/login', search: href === '/' ? {} : { redirect: href }, replace: true });
    void leave.then(() => {
      queryClient.clear();
      resetLive();
    });
  }, [status, queryClient, router]);

  if (status === 'loading') return <Splash />;
  return (
    <QueryClientProvider client={queryClient}>
      <RealtimeProvider>
        <RouterProvider router={router} />
      </RealtimeProvider>
    </QueryClientProvider>
  );
}
