import { createRootRouteWithContext, createRoute, createRouter, lazyRouteComponent, Link, Outlet, redirect } from '@tanstack/react-router';
import type { QueryClient } from '@tanstack/react-query';
import { auth } from '../lib/auth';
import type { Me, OperationStatus, Priority, Severity } from '../lib/types';
import { Toaster } from '../components/ui/toaster';
import { Page } from '../components/ui/page';
import { SkeletonRows } from '../components/ui/states';
import { meQuery } from '../lib/queries';
import { prefetchDashboard } from '../features/dashboard/queries';
import { ErrorState, Splash } from '../components/ui/states';
import { Button } from '../components/ui/button';
import { AGGS, INTERVALS, isPreset, type Agg, type Interval, type PresetKey } from '../lib/telemetry-range';
import { ADMIN_TABS, parsePeriodSearch, parseTicketsSearch, type AdminTab } from '../features/servicedesk/search';
import { AppShell } from './shell';

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

export type SortKey = 'createdAt' | '-createdAt' | 'name' | '-name' | 'priority' | '-priority' | 'startAt' | '-startAt' | 'updatedAt' | '-updatedAt';
const SORTS: SortKey[] = ['createdAt', '-createdAt', 'name', '-name', 'priority', '-priority', 'startAt', '-startAt', 'updatedAt', '-updatedAt'];
const STATUSES: OperationStatus[] = ['pending', 'in_progress', 'completed', 'failed'];
const PRIORITIES: Priority[] = ['low', 'medium', 'high', 'critical'];
export interface OperationsSearch {
  q?: string;
  status?: OperationStatus[];
  priority?: Priority;
  sort?: SortKey;
}

export const operationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations',
  validateSearch: (s: Record<string, unknown>): OperationsSearch => {
    const out: OperationsSearch = {};
    const q = str(s.q);
    if (q) out.q = q.slice(0, 200);
    const statuses = (Array.isArray(s.status) ? s.status : typeof s.status === 'string' ? s.status.split(',') : []).filter((x): x is OperationStatus =>
      STATUSES.includes(x as OperationStatus),
    );
    if (statuses.length) out.status = statuses;
    if (PRIORITIES.includes(s.priority as Priority)) out.priority = s.priority as Priority;
    if (SORTS.includes(s.sort as SortKey)) out.sort = s.sort as SortKey;
    return out;
  },
  component: lazyRouteComponent(() => import('../features/operations/OperationsPage'), 'OperationsPage'),
});

const operationNewRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations/new',
  component: lazyRouteComponent(() => import('../features/operations/OperationFormPage'), 'NewOperationPage'),
});

export const operationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations/$operationId',
  component: lazyRouteComponent(() => import('../features/operations/OperationDetailPage'), 'OperationDetailPage'),
});

export const operationEditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/operations/$operationId/edit',
  component: lazyRouteComponent(() => import('../features/operations/OperationFormPage'), 'EditOperationPage'),
});

export interface AlarmsSearch {
  view?: 'active' | 'unacknowledged' | 'all';
  severity?: Severity;
}
const SEVERITIES: Severity[] = ['critical', 'major', 'minor', 'warning'];
export const alarmsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/alarms',
  validateSearch: (s: Record<string, unknown>): AlarmsSearch => {
    const out: AlarmsSearch = {};
    if (s.view === 'active' || s.view === 'unacknowledged' || s.view === 'all') out.view = s.view;
    if (SEVERITIES.includes(s.severity as Severity)) out.severity = s.severity as Severity;
    return out;
  },
  component: lazyRouteComponent(() => import('../features/alarms/AlarmsPage'), 'AlarmsPage'),
});

export interface UsersSearch {
  q?: string;
  status?: 'active' | 'inactive';
}
export const usersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/users',
  validateSearch: (s: Record<string, unknown>): UsersSearch => {
    const out: UsersSearch = {};
    const q = str(s.q);
    if (q) out.q = q.slice(0, 200);
    if (s.status === 'active' || s.status === 'inactive') out.status = s.status;
    return out;
  },
  component: lazyRouteComponent(() => import('../features/users/UsersPage'), 'UsersPage'),
});

export interface TelemetrySearch {
  device?: string;
  metric?: string;
  range?: PresetKey | 'custom';
  from?: string;
  to?: string;
  interval?: Interval | 'auto';
  agg?: Agg;
}
const iso = (v: unknown) => {
  const x = str(v);
  return x && Number.isFinite(Date.parse(x)) ? x : undefined;
};
export const telemetryRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/telemetry',
  validateSearch: (s: Record<string, unknown>): TelemetrySearch => {
    const out: TelemetrySearch = {};
    const device = str(s.device);
    if (device && /^[0-9a-f-]{36}$/i.test(device)) out.device = device;
    const metric = str(s.metric);
    if (metric) out.metric = metric.slice(0, 128);
    if (isPreset(s.range) || s.range === 'custom') out.range = s.range;
    const from = iso(s.from);
    const to = iso(s.to);
    if (out.range === 'custom' && from) {
      out.from = from;
      if (to) out.to = to;
    }
    if (INTERVALS.includes(s.interval as Interval)) out.interval = s.interval as Interval;
    if (AGGS.includes(s.agg as Agg)) out.agg = s.agg as Agg;
    return out;
  },
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

export interface AuditSearch {
  entityType?: string;
  entityId?: string;
  userId?: string;
  action?: string;
  from?: string;
  to?: string;
}
export const auditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/audit',
  validateSearch: (s: Record<string, unknown>): AuditSearch => {
    const out: AuditSearch = {};
    for (const k of ['entityType', 'entityId', 'action'] as const) {
      const v = str(s[k]);
      if (v) out[k] = v.slice(0, k === 'action' ? 100 : 64);
    }
    const user = str(s.userId);
    if (user && /^[0-9a-f-]{36}$/i.test(user)) out.userId = user;
    const from = iso(s.from);
    const to = iso(s.to);
    if (from) out.from = from;
    if (to) out.to = to;
    return out;
  },
  component: lazyRouteComponent(() => import('../features/admin/AuditPage'), 'AuditPage'),
});

const orgRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/org',
  component: lazyRouteComponent(() => import('../features/admin/OrgSettingsPage'), 'OrgSettingsPage'),
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
export const ticketsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/tickets',
  validateSearch: parseTicketsSearch,
  component: lazyRouteComponent(() => import('../features/servicedesk/TicketsPage'), 'TicketsPage'),
});

export const ticketRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/tickets/$ticketId',
  component: lazyRouteComponent(() => import('../features/servicedesk/ticket/TicketPage'), 'TicketPage'),
});

const agentDeskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/servicedesk/agent',
  component: lazyRouteComponent(() => import('../features/servicedesk/dashboards/AgentDashboardPage'), 'AgentDashboardPage'),
});

export const managerDeskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/servicedesk/manager',
  validateSearch: parsePeriodSearch,
  component: lazyRouteComponent(() => import('../features/servicedesk/dashboards/ManagerDashboardPage'), 'ManagerDashboardPage'),
});

export const executiveDeskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/servicedesk/executive',
  validateSearch: (s: Record<string, unknown>) => ({ ...(parsePeriodSearch(s).days ? { days: parsePeriodSearch(s).days } : {}) }),
  component: lazyRouteComponent(() => import('../features/servicedesk/dashboards/ExecutiveDashboardPage'), 'ExecutiveDashboardPage'),
});

export const servicedeskAdminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin/servicedesk',
  validateSearch: (s: Record<string, unknown>): { tab?: AdminTab } => (ADMIN_TABS.includes(s.tab as AdminTab) && s.tab !== 'teams' ? { tab: s.tab as AdminTab } : {}),
  component: lazyRouteComponent(() => import('../features/servicedesk/admin/ServicedeskAdminPage'), 'ServicedeskAdminPage'),
});

export const supportFormRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/support/$org',
  component: lazyRouteComponent(() => import('../features/servicedesk/public/SupportFormPage'), 'SupportFormPage'),
});

export const portalRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/portal/tickets/$ticketId',
  component: lazyRouteComponent(() => import('../features/servicedesk/public/PortalPage'), 'PortalPage'),
});

const servicedeskRoutes = [ticketsRoute, ticketRoute, agentDeskRoute, managerDeskRoute, executiveDeskRoute, servicedeskAdminRoute] as const;

const routeTree = rootRoute.addChildren([
  loginRoute,
  supportFormRoute,
  portalRoute,
  appRoute.addChildren([
    dashboardRoute,
    operationsRoute,
    operationNewRoute,
    operationRoute,
    operationEditRoute,
    alarmsRoute,
    telemetryRoute,
    mapRoute,
    usersRoute,
    rolesRoute,
    apiKeysRoute,
    devicesRoute,
    auditRoute,
    subscriptionsRoute,
    orgRoute,
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
