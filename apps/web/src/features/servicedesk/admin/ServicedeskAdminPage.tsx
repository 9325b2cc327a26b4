import { getRouteApi, useNavigate } from '@tanstack/react-router';
import { Tabs } from 'radix-ui';
import { useMe } from '../../../lib/queries';
import { can } from '../../../lib/permissions';
import { Card } from '../../../components/ui/card';
import { Page, PageHeader, useDocumentTitle } from '../../../components/ui/page';
import { ErrorState } from '../../../components/ui/states';
import type { AdminTab } from '../search';
import { CalendarsTab } from './CalendarsTab';
import { CannedTab } from './CannedTab';
import { FieldsTab } from './FieldsTab';
import { PoliciesTab } from './PoliciesTab';
import { TeamsTab } from './TeamsTab';

const servicedeskAdminRoute = getRouteApi('/app/admin/servicedesk');

const TABS: { value: AdminTab; label: string }[] = [
  { value: 'teams', label: 'Teams' },
  { value: 'canned', label: 'Canned responses' },
  { value: 'calendars', label: 'Business calendars' },
  { value: 'policies', label: 'SLA policies' },
  { value: 'fields', label: 'Custom fields' },
];

export function ServicedeskAdminPage() {
  useDocumentTitle('Service desk settings');
  const me = useMe();
  const { tab = 'teams' } = servicedeskAdminRoute.useSearch();
  const navigate = useNavigate({ from: '/admin/servicedesk' });
  if (!can(me, 'servicedesk:manage')) {
    return (
      <Page width="narrow">
        <Card as="div" className="mt-10">
          <ErrorState error={new Error('Your role does not include managing the service desk.')} title="You don’t have access to this" />
        </Card>
      </Page>
    );
  }
  return (
    <Page>
      <PageHeader title="Service desk settings" description="Teams and assignment, canned responses, business hours, SLA policies and custom ticket fields." />
      <Tabs.Root value={tab} onValueChange={(v) => void navigate({ search: v === 'teams' ? {} : { tab: v as AdminTab }, replace: true })}>
        <Tabs.List aria-label="Settings" className="mb-4 flex gap-1 overflow-x-auto border-b border-line">
          {TABS.map((t) => (
            <Tabs.Trigger
              key={t.value}
              value={t.value}
              className="-mb-px border-b-2 border-transparent px-3 py-2 text-[13px] font-medium whitespace-nowrap text-fg-muted hover:text-fg data-[state=active]:border-accent data-[state=active]:text-fg"
            >
              {t.label}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        <Tabs.Content value="teams" className="focus:outline-none">
          <TeamsTab />
        </Tabs.Content>
        <Tabs.Content value="canned" className="focus:outline-none">
          <CannedTab />
        </Tabs.Content>
        <Tabs.Content value="calendars" className="focus:outline-none">
          <CalendarsTab />
        </Tabs.Content>
        <Tabs.Content value="policies" className="focus:outline-none">
          <PoliciesTab />
        </Tabs.Content>
        <Tabs.Content value="fields" className="focus:outline-none">
          <FieldsTab />
        </Tabs.Content>
      </Tabs.Root>
    </Page>
  );
}
