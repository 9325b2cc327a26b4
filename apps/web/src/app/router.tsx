import { createRootRouteWithContext, createRoute, createRouter, lazyRouteComponent, Link, Outlet, redirect } from '@tanstack/react-router';
import type { QueryClient } from '@tanstack/react-query';
import { auth } from '../lib/auth';
import type { Me } from '../lib/types';
import { Toaster } from '../components/ui/toaster';
import { Page } from '../components/ui/page';
import { SkeletonRows } from '../components/ui/states';
import { meQuery } from '../lib/queries';
import { prefetchDashboard } from '../features/dashboard/queries';
import { ErrorState, Splash } from '../components/ui/states';
import { Button } from '../components/ui/button';
import { ADMIN_TABS, parsePeriodSearch, parseTicketsSearch, type AdminTab } from '../features/servicedesk/search';
import { AppShell } from './shell';
import { parseAlarmsSearch, parseAuditSearch, parseOperationsSearch, parseTelemetrySearch, parseUsersSearch } from './search';

export interface RouterContext {
  queryClient: QueryClient;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function NotFound() {
  return (
    <Page width="narrow">
      <div className="py-20 text-center">
        <p className="text-sm font-medium text-accent">404</p>
        <h1 className="mt-2 text-xl font-semibold">This page does not exist</h1>
        <p className="mt-2 text-[13px] text-fg-muted">The link may be old, or the page moved.</p>
        <Link to="/" className="mt-6 inline-flex h-8 items-center rounded-md bg-accent px-3 text-[13px] font-medium text-accent-fg hover:bg-accent-hover">
          Back to the dashboard
        </Link>
      </div>
    </Page>
  );
}

function PendingPage() {
  return (
    <Page>
      <div className="mb-6 h-7 w-48 skeleton" />
      <div className="rounded-lg border border-line bg-surface">
        <SkeletonRows rows={6} />
      </div>
    </Page>
  );
}

function ShellError({ error, reset }: { error: unknown; reset: () => void }) {
  return (
    <div className="flex min-h-dvh flex-col items-center justify-center gap-4">
      <ErrorState error={error} title="The console could not load your account" onRetry={reset} />
      <Button variant="ghost" onClick={() => void auth.logout()}>
        Sign out
      </Button>
    </div>
  );
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: () => (
    <>
      <Outlet />
      <Toaster />
    </>
  ),
  notFoundComponent: NotFound,
});

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  validateSearch: (s: Record<string, unknown>): { redirect?: string } => {
    const r = str(s.redirect);
    // Only same-site paths: never an open redirect.
    return r && r.startsWith('/') && !r.startsWith('//') ? { redirect: r } : {};
  },
  beforeLoad: ({ search }) => {
    if (auth.state.status === 'authenticated') throw redirect({ to: search.redirect ?? '/' });
  },
  component: lazyRouteComponent(() => import('../features/auth/LoginPage'), 'LoginPage'),
});

/** A link's token from the query (reset and invitation emails). */
const tokenSearch = (s: Record<string, unknown>): { token?: string } => {
  const t = str(s.token);
  return t ? { token: t } : {};
};

const forgotPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/forgot-password',
  validateSearch: (s: Record<string, unknown>): { email?: string } => {
    const e = str(s.email);
    return e ? { email: e } : {};
  },
  component: lazyRouteComponent(() => import('../features/auth/ForgotPasswordPage'), 'ForgotPasswordPage'),
});

/** The reset email's link (identity's resetLink). */
const resetPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reset-password',
  validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import('../features/auth/ResetPasswordPage'), 'ResetPasswordPage'),
});

/** The invitation email's link (identity's inviteLink). */
const inviteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/invite',
  validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import('../features/auth/AcceptInvitationPage'), 'AcceptInvitationPage'),
});

/** Everything behind sign-in. */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: async ({ location, context }) => {
    if (auth.state.status !== 'authenticated') {
      throw redirect({ to: '/login', search: location.href === '/' ? {} : { redirect: location.href } });
    }
    // Navigation and pages depend on the permissions: load them before the shell (boot.js may
    // have fetched them already, in parallel with this code).
    if (auth.bootMe && !context.queryClient.getQueryData(meQuery.queryKey)) {
      const early = await auth.bootMe;
      auth.bootMe = null;
      if (early && typeof early === 'object' && 'permissions' in early && !Array.isArray((early as Me).permissions)) {
        context.queryClient.setQueryData(meQuery.queryKey, early as Me);
      }
    }
    await context.queryClient.ensureQueryData(meQuery);
  },
  component: AppShell,
  pendingComponent: Splash,
  errorComponent: ShellError,
});

const dashboardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  loader: ({ context }) => prefetchDashboard(context.queryClient, context.queryClient.getQueryData(meQuery.queryKey)),
  component: lazyRouteComponent(() => import('../features/dashboard/DashboardPage'), 'DashboardPage'),
});

const operationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations',
  validateSearch: parseOperationsSearch,
  component: lazyRouteComponent(() => import('../features/operations/OperationsPage'), 'OperationsPage'),
});

const operationNewRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations/new',
  component: lazyRouteComponent(() => import('../features/operations/OperationFormPage'), 'NewOperationPage'),
});

const operationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations/$operationId',
  component: lazyRouteComponent(() => import('../features/operations/OperationDetailPage'), 'OperationDetailPage'),
});

const operationEditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations/$operationId/edit',
  component: lazyRouteComponent(() => import('../features/operations/OperationFormPage'), 'EditOperationPage'),
});

const alarmsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/alarms',
  validateSearch: parseAlarmsSearch,
  component: lazyRouteComponent(() => import('../features/alarms/AlarmsPage'), 'AlarmsPage'),
});

const alertRulesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/alarms/rules',
  component: lazyRouteComponent(() => import('../features/alarms/AlertRulesPage'), 'AlertRulesPage'),
});

const usersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/users',
  validateSearch: parseUsersSearch,
  component: lazyRouteComponent(() => import('../features/users/UsersPage'), 'UsersPage'),
});

const userRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/users/$userId',
  component: lazyRouteComponent(() => import('../features/users/UserDetailPage'), 'UserDetailPage'),
});

const telemetryRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/telemetry',
  validateSearch: parseTelemetrySearch,
  component: lazyRouteComponent(() => import('../features/telemetry/TelemetryExplorerPage'), 'TelemetryExplorerPage'),
});

const mapRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/map',
  component: lazyRouteComponent(() => import('../features/map/MapPage'), 'MapPage'),
});

const rolesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/roles',
  component: lazyRouteComponent(() => import('../features/admin/RolesPage'), 'RolesPage'),
});

const apiKeysRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/api-keys',
  component: lazyRouteComponent(() => import('../features/admin/ApiKeysPage'), 'ApiKeysPage'),
});

const subscriptionsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/subscriptions',
  component: lazyRouteComponent(() => import('../features/admin/SubscriptionsPage'), 'SubscriptionsPage'),
});

const devicesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/devices',
  component: lazyRouteComponent(() => import('../features/admin/DevicesPage'), 'DevicesPage'),
});

const auditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/audit',
  validateSearch: parseAuditSearch,
  component: lazyRouteComponent(() => import('../features/admin/AuditPage'), 'AuditPage'),
});

const messagesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/messages',
  component: lazyRouteComponent(() => import('../features/admin/OutgoingMessagesPage'), 'OutgoingMessagesPage'),
});

const orgRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/org',
  component: lazyRouteComponent(() => import('../features/admin/OrgSettingsPage'), 'OrgSettingsPage'),
});

const organizationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/organizations',
  component: lazyRouteComponent(() => import('../features/admin/OrganizationsPage'), 'OrganizationsPage'),
});

const sessionsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/account/sessions',
  component: lazyRouteComponent(() => import('../features/account/SessionsPage'), 'SessionsPage'),
});

const securityRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/account/security',
  component: lazyRouteComponent(() => import('../features/account/SecurityPage'), 'SecurityPage'),
});

// ---- Service desk (issue 5): the queue, a ticket, the dashboards, its settings; and two public
// pages outside the shell, usable without an account (the ticket form and the requester portal).
const ticketsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/tickets',
  validateSearch: parseTicketsSearch,
  component: lazyRouteComponent(() => import('../features/servicedesk/TicketsPage'), 'TicketsPage'),
});

const ticketRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/tickets/$ticketId',
  component: lazyRouteComponent(() => import('../features/servicedesk/ticket/TicketPage'), 'TicketPage'),
});

const agentDeskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/servicedesk/agent',
  component: lazyRouteComponent(() => import('../features/servicedesk/dashboards/AgentDashboardPage'), 'AgentDashboardPage'),
});

const managerDeskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/servicedesk/manager',
  validateSearch: parsePeriodSearch,
  component: lazyRouteComponent(() => import('../features/servicedesk/dashboards/ManagerDashboardPage'), 'ManagerDashboardPage'),
});

const executiveDeskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/servicedesk/executive',
  validateSearch: (s: Record<string, unknown>) => ({ ...(parsePeriodSearch(s).days ? { days: parsePeriodSearch(s).days } : {}) }),
  component: lazyRouteComponent(() => import('../features/servicedesk/dashboards/ExecutiveDashboardPage'), 'ExecutiveDashboardPage'),
});

const servicedeskAdminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/servicedesk',
  validateSearch: (s: Record<string, unknown>): { tab?: AdminTab } => (ADMIN_TABS.includes(s.tab as AdminTab) && s.tab !== 'teams' ? { tab: s.tab as AdminTab } : {}),
  component: lazyRouteComponent(() => import('../features/servicedesk/admin/ServicedeskAdminPage'), 'ServicedeskAdminPage'),
});

const supportFormRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/support/$org',
  component: lazyRouteComponent(() => import('../features/servicedesk/public/SupportFormPage'), 'SupportFormPage'),
});

const portalRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/portal/tickets/$ticketId',
  component: lazyRouteComponent(() => import('../features/servicedesk/public/PortalPage'), 'PortalPage'),
});

const servicedeskRoutes = [ticketsRoute, ticketRoute, agentDeskRoute, managerDeskRoute, executiveDeskRoute, servicedeskAdminRoute] as const;

const routeTree = rootRoute.addChildren([
  loginRoute,
  forgotPasswordRoute,
  resetPasswordRoute,
  inviteRoute,
  supportFormRoute,
  portalRoute,
  appRoute.addChildren([
    dashboardRoute,
    operationsRoute,
    operationNewRoute,
    operationRoute,
    operationEditRoute,
    alarmsRoute,
    alertRulesRoute,
    telemetryRoute,
    mapRoute,
    usersRoute,
    userRoute,
    rolesRoute,
    apiKeysRoute,
    devicesRoute,
    auditRoute,
    messagesRoute,
    subscriptionsRoute,
    orgRoute,
    organizationsRoute,
    sessionsRoute,
    securityRoute,
    ...servicedeskRoutes,
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    defaultPreloadStaleTime: 0,
    defaultPendingComponent: PendingPage,
    defaultPendingMs: 150,
    defaultNotFoundComponent: NotFound,
    scrollRestoration: true,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
