import { useState, useSyncExternalStore, type ComponentType } from 'react';
import { Link, Outlet, useNavigate } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { Dialog as D, Tooltip } from 'radix-ui';
import {
  BookOpen,
  Building2,
  ClipboardList,
  Cpu,
  KeySquare,
  LineChart,
  Map as MapIcon,
  ScrollText,
  Send,
  Shield,
  Headset,
  Inbox,
  Settings2,
  TrendingUp,
  UsersRound,
  KeyRound,
  LayoutDashboard,
  LogOut,
  Menu as MenuIcon,
  Monitor,
  Moon,
  Network,
  MonitorSmartphone,
  Siren,
  Sun,
  Users,
  Workflow,
  X,
} from 'lucide-react';
import { activeAlarmsQuery } from '../features/alarms/queries';
import { auth } from '../lib/auth';
import { cn } from '../lib/cn';
import { initials, timeZone } from '../lib/format';
import { can } from '../lib/permissions';
import { useMe } from '../lib/queries';
import { getTheme, setTheme, subscribeTheme, type ThemeChoice } from '../lib/theme';
import type { Me } from '../lib/types';
import { Button } from '../components/ui/button';
import { Menu, MenuContent, MenuItem, MenuLabel, MenuRadio, MenuSeparator, MenuTrigger } from '../components/ui/menu';
import { useRealtimeStatus, useTopic } from './realtime';

interface NavItem {
  to: string;
  label: string;
  icon: ComponentType<{ className?: string }>;
  exact?: boolean;
  allowed: (me: Me) => boolean;
  badge?: 'alarms';
}
interface NavSection {
  title: string | null;
  items: NavItem[];
}

/** The navigation, filtered by what /api/auth/me's permissions allow. */
export const NAV: NavSection[] = [
  { title: null, items: [{ to: '/', label: 'Dashboard', icon: LayoutDashboard, exact: true, allowed: () => true }] },
  {
    title: 'Operate',
    items: [
      { to: '/operations', label: 'Operations', icon: ClipboardList, allowed: (me) => can(me, 'operations:read') },
      { to: '/alarms', label: 'Alarms', icon: Siren, allowed: (me) => can(me, 'alarms:read'), badge: 'alarms' },
      { to: '/telemetry', label: 'Telemetry', icon: LineChart, allowed: (me) => can(me, 'telemetry:read') },
      { to: '/map', label: 'Map', icon: MapIcon, allowed: (me) => can(me, 'operations:read') || can(me, 'devices:read') },
    ],
  },
  {
    title: 'Service desk',
    items: [
      { to: '/tickets', label: 'Tickets', icon: Inbox, allowed: (me) => can(me, 'tickets:read') },
      { to: '/servicedesk/agent', label: 'My desk', icon: Headset, allowed: (me) => can(me, 'tickets:update') && can(me, 'servicedesk:analytics') },
      { to: '/servicedesk/manager', label: 'Team', icon: UsersRound, allowed: (me) => can(me, 'servicedesk:analytics', 'department') },
      { to: '/servicedesk/executive', label: 'Executive', icon: TrendingUp, allowed: (me) => can(me, 'servicedesk:analytics', 'any') },
      { to: '/admin/servicedesk', label: 'Desk settings', icon: Settings2, allowed: (me) => can(me, 'servicedesk:manage') },
    ],
  },
  {
    // Administration pages show for those who administer: devices and the organization for those
    // who may change them (readers see devices in the explorer and on the map).
    title: 'Admin',
    items: [
      { to: '/admin/users', label: 'Users', icon: Users, allowed: (me) => can(me, 'users:read', 'department') },
      { to: '/admin/roles', label: 'Roles', icon: Shield, allowed: (me) => can(me, 'roles:read') },
      { to: '/admin/api-keys', label: 'API keys', icon: KeySquare, allowed: (me) => can(me, 'api_keys:read') },
      { to: '/admin/devices', label: 'Devices', icon: Cpu, allowed: (me) => can(me, 'devices:manage') },
      { to: '/admin/audit', label: 'Audit log', icon: ScrollText, allowed: (me) => can(me, 'audit:read') },
      { to: '/admin/messages', label: 'Outgoing messages', icon: Send, allowed: (me) => can(me, 'messages:read') },
      { to: '/admin/subscriptions', label: 'Event subscriptions', icon: Workflow, allowed: (me) => can(me, 'subscriptions:manage') },
      { to: '/admin/org', label: 'Organization', icon: Building2, allowed: (me) => can(me, 'org:update') },
      { to: '/admin/organizations', label: 'All organizations', icon: Network, allowed: (me) => me.isPlatformAdmin },
    ],
  },
];

function AlarmBadge() {
  const { data } = useQuery(activeAlarmsQuery);
  const open = data?.data.filter((a) => !a.acknowledged).length ?? 0;
  if (!open) return null;
  return (
    <span className="ml-auto rounded-full bg-red-500 px-1.5 text-[11px] leading-[18px] font-semibold text-white tabular" aria-label={`${open} unacknowledged`}>
      {open > 99 ? '99+' : open}
    </span>
  );
}

function SidebarNav({ onNavigate }: { onNavigate?: () => void }) {
  const me = useMe();
  const sections = NAV.map((s) => ({ ...s, items: s.items.filter((i) => i.allowed(me)) })).filter((s) => s.items.length > 0);
  return (
    <nav aria-label="Main" className="flex flex-col gap-5">
      {sections.map((s) => (
        <div key={s.title ?? 'top'}>
          {s.title ? <p className="mb-1 px-2.5 text-[11px] font-medium tracking-wide text-fg-subtle uppercase">{s.title}</p> : null}
          <ul className="flex flex-col gap-0.5">
            {s.items.map((item) => (
              <li key={item.to}>
                <Link
                  to={item.to}
                  {...(onNavigate ? { onClick: onNavigate } : {})}
                  activeOptions={{ exact: item.exact ?? false }}
                  className="group flex h-8 items-center gap-2.5 rounded-md px-2.5 text-[13px] font-medium text-fg-muted transition-colors hover:bg-hover hover:text-fg aria-[current=page]:bg-active aria-[current=page]:text-fg"
                >
                  <item.icon className="size-4 text-fg-subtle group-hover:text-fg-muted group-aria-[current=page]:text-accent" />
                  {item.label}
                  {item.badge === 'alarms' ? <AlarmBadge /> : null}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

function Brand() {
  const me = useMe();
  return (
    <div className="flex items-center gap-2.5 px-2.5">
      <svg viewBox="0 0 32 32" className="size-7 shrink-0" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="var(--accent)" />
        <path d="M9 22V10h3v12zm5.5 0V10h2.6l2.4 6.1 2.4-6.1H24v12h-2.7v-6.8l-2 5h-1.7l-2-5V22z" fill="#fff" />
      </svg>
      <div className="min-w-0 leading-tight">
        <p className="text-[13px] font-semibold">IMSOP</p>
        <p className="truncate text-[11.5px] text-fg-subtle">{me.org.name}</p>
      </div>
    </div>
  );
}

function SidebarFooter() {
  return (
    <div className="mt-auto flex flex-col gap-0.5 border-t border-line pt-3">
      <a href="/docs" className="flex h-8 items-center gap-2.5 rounded-md px-2.5 text-[13px] text-fg-muted hover:bg-hover hover:text-fg">
        <BookOpen className="size-4 text-fg-subtle" aria-hidden="true" /> API docs
      </a>
      <p className="px-2.5 pt-1 text-[11px] text-fg-subtle" title="Dates and times are shown in this time zone">
        Times in {timeZone}
      </p>
    </div>
  );
}

function Sidebar() {
  return (
    <div className="hidden w-60 shrink-0 border-r border-line bg-app lg:block">
      <aside className="sticky top-0 flex h-dvh flex-col gap-6 px-3 py-4">
        <Brand />
        <SidebarNav />
        <SidebarFooter />
      </aside>
    </div>
  );
}

/** Below 1024 px (phones, narrow windows) the sidebar becomes a drawer. */
function MobileNav() {
  const [open, setOpen] = useState(false);
  return (
    <D.Root open={open} onOpenChange={setOpen}>
      <D.Trigger asChild>
        <Button variant="ghost" size="icon" className="lg:hidden" aria-label="Open navigation">
          <MenuIcon aria-hidden="true" />
        </Button>
      </D.Trigger>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <D.Content className="fixed inset-y-0 left-0 z-50 flex w-72 max-w-[85vw] flex-col gap-6 border-r border-line bg-app px-3 py-4 shadow-pop focus:outline-none" aria-describedby={undefined}>
          <D.Title className="sr-only">Navigation</D.Title>
          <div className="flex items-center justify-between">
            <Brand />
            <D.Close asChild>
              <Button variant="ghost" size="icon-sm" aria-label="Close navigation">
                <X aria-hidden="true" />
              </Button>
            </D.Close>
          </div>
          <SidebarNav onNavigate={() => setOpen(false)} />
          <SidebarFooter />
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}

const STATUS_TEXT = {
  idle: { label: 'Not connected', color: 'bg-zinc-400', help: 'Live updates are off.' },
  connecting: { label: 'Connecting', color: 'bg-amber-400 pulse', help: 'Opening the live connection…' },
  live: { label: 'Live', color: 'bg-emerald-500', help: 'Connected: changes appear as they happen.' },
  reconnecting: { label: 'Reconnecting', color: 'bg-amber-400 pulse', help: 'The live connection dropped; reconnecting and catching up on what was missed.' },
  offline: { label: 'Offline', color: 'bg-red-500', help: 'No network: changes will catch up when you are back online.' },
} as const;

export function ConnectionIndicator() {
  const status = useRealtimeStatus();
  const s = STATUS_TEXT[status];
  return (
    <Tooltip.Provider delayDuration={200}>
      <Tooltip.Root>
        <Tooltip.Trigger asChild>
          <button
            type="button"
            className="flex h-7 items-center gap-2 rounded-full border border-line bg-surface px-2.5 text-xs font-medium text-fg-muted"
            aria-label={`Live updates: ${s.label}`}
            data-testid="realtime-status"
            data-status={status}
          >
            <span className={cn('size-2 rounded-full', s.color)} aria-hidden="true" />
            <span className="hidden sm:inline" role="status">
              {s.label}
            </span>
          </button>
        </Tooltip.Trigger>
        <Tooltip.Portal>
          <Tooltip.Content sideOffset={6} className="z-50 max-w-60 rounded-md bg-fg px-2.5 py-1.5 text-xs text-app shadow-pop">
            {s.help}
          </Tooltip.Content>
        </Tooltip.Portal>
      </Tooltip.Root>
    </Tooltip.Provider>
  );
}

function ThemeMenu() {
  const theme = useSyncExternalStore(subscribeTheme, getTheme);
  const Icon = theme === 'dark' ? Moon : theme === 'light' ? Sun : Monitor;
  return (
    <Menu>
      <MenuTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Theme: ${theme}`}>
          <Icon aria-hidden="true" />
        </Button>
      </MenuTrigger>
      <MenuContent className="min-w-40">
        <MenuLabel>Theme</MenuLabel>
        <MenuRadio
          value={theme}
          onValueChange={(v) => setTheme(v as ThemeChoice)}
          options={[
            { value: 'system', label: 'System', icon: <Monitor aria-hidden="true" /> },
            { value: 'light', label: 'Light', icon: <Sun aria-hidden="true" /> },
            { value: 'dark', label: 'Dark', icon: <Moon aria-hidden="true" /> },
          ]}
        />
      </MenuContent>
    </Menu>
  );
}

function UserMenu() {
  const me = useMe();
  const navigate = useNavigate();
  return (
    <Menu>
      <MenuTrigger asChild>
        <button type="button" className="flex items-center gap-2 rounded-full p-0.5 pr-1 hover:bg-hover" aria-label={`Account: ${me.name}`} data-testid="user-menu">
          <span className="flex size-7 items-center justify-center rounded-full bg-accent-soft text-[11px] font-semibold text-accent-soft-fg">{initials(me.name)}</span>
        </button>
      </MenuTrigger>
      <MenuContent className="min-w-56">
        <div className="px-2 py-1.5">
          <p className="truncate text-[13px] font-medium">{me.name}</p>
          <p className="truncate text-xs text-fg-subtle">{me.email}</p>
        </div>
        <MenuSeparator />
        <MenuItem onSelect={() => void navigate({ to: '/account/sessions' })}>
          <MonitorSmartphone aria-hidden="true" /> My sessions
        </MenuItem>
        <MenuItem onSelect={() => void navigate({ to: '/account/security' })}>
          <KeyRound aria-hidden="true" /> Password and two-factor
        </MenuItem>
        <MenuSeparator />
        <MenuItem onSelect={() => void auth.logout()}>
          <LogOut aria-hidden="true" /> Sign out
        </MenuItem>
      </MenuContent>
    </Menu>
  );
}

function Topbar() {
  return (
    <header className="sticky top-0 z-30 flex h-12 shrink-0 items-center gap-2 border-b border-line bg-app/85 px-3 backdrop-blur sm:px-4">
      <MobileNav />
      <Link to="/" className="flex items-center gap-2 text-[13px] font-semibold lg:hidden" aria-label="IMSOP dashboard">
        <svg viewBox="0 0 32 32" className="size-6" aria-hidden="true">
          <rect width="32" height="32" rx="8" fill="var(--accent)" />
          <path d="M9 22V10h3v12zm5.5 0V10h2.6l2.4 6.1 2.4-6.1H24v12h-2.7v-6.8l-2 5h-1.7l-2-5V22z" fill="#fff" />
        </svg>
        IMSOP
      </Link>
      <div className="flex-1" />
      <ConnectionIndicator />
      <ThemeMenu />
      <UserMenu />
    </header>
  );
}

/** The signed-in layout: sidebar, top bar, the page; live topics the whole console uses. */
export function AppShell() {
  const me = useMe();
  useTopic('operations', can(me, 'operations:read'));
  useTopic('alarms', can(me, 'alarms:read'));
  return (
    <div className="flex min-h-dvh">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-accent focus:px-3 focus:py-2 focus:text-[13px] focus:font-medium focus:text-accent-fg focus:shadow-pop"
      >
        Skip to content
      </a>
      <Sidebar />
      <div className="flex min-w-0 flex-1 flex-col">
        <Topbar />
        <main id="main" tabIndex={-1} className="min-w-0 flex-1 bg-app focus:outline-none">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
