import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { MailPlus, RotateCw, X } from 'lucide-react';
import { api, call } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { nextPages, pageRequest, rowsOf } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { ApiError, errorFor, fieldErrors } from '../../lib/problem';
import { keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import { Ago } from '../../components/ui/ago';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { DataTable, LoadMore, TableCard, type Column } from '../../components/ui/data-table';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input } from '../../components/ui/input';
import { Banner, EmptyState, errorMessage } from '../../components/ui/states';
import { RolePicker } from './RolePicker';

const invitationsKey = [...keys.users, 'invitations'] as const;

type Invitation = Awaited<ReturnType<typeof listPage>>['data'][number];
const listPage = (pageParam: string | null) => call(api.GET('/api/invitations', { params: { query: pageRequest(pageParam) } }));

/** Resends an invitation (a new link; the old one answers "outdated"). */
function useResend() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.POST('/api/invitations/{id}/resend', { params: { path: { id } } })),
    onSuccess: (inv) => {
      void qc.invalidateQueries({ queryKey: invitationsKey });
      toast('Invitation sent again', { tone: 'success', description: `${inv.email} has a new link; the previous one no longer works.` });
    },
    onError: (err) => toast('Could not resend the invitation', { tone: 'error', description: errorMessage(err) }),
  });
}

function InviteDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  // A department-scoped inviter invites into its own department only.
  const [department, setDepartment] = useState(can(me, 'users:create', 'any') ? '' : (me.department ?? ''));
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pendingId, setPendingId] = useState<string | null>(null);
  const resend = useResend();
  const invite = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/invitations', {
          body: { email: email.trim(), department: department.trim() || null, ...(picked.size ? { roles: [...picked] } : {}) },
        }),
      ),
    onSuccess: (inv) => {
      void qc.invalidateQueries({ queryKey: invitationsKey });
      toast('Invitation sent', { tone: 'success', description: `${inv.email} can join with the link in the email until ${formatDateTime(inv.expiresAt)}.` });
      onOpenChange(false);
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      if (err instanceof ApiError && err.code === 'email_taken') fe.email = 'Someone in your organization already uses this email.';
      if (err instanceof ApiError && err.code === 'invitation_pending') {
        fe.email = 'This address already has a pending invitation.';
        setPendingId(typeof err.extra.invitationId === 'string' && err.extra.invitationId ? err.extra.invitationId : null);
      }
      setErrors(fe);
      const placed = ['email', 'department', 'roles'];
      setFormError(Object.keys(fe).some((k) => placed.some((p) => k === p || k.startsWith(p + '.'))) ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    setPendingId(null);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
      setErrors({ email: 'Enter the email address to invite.' });
      return;
    }
    invite.mutate();
  };
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Invite a person"
      description="They get an email with a link to choose their name and password. The link works once; the pending list shows when it expires."
      size="md"
      footer={
        <>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="primary" type="submit" form="invite-user" loading={invite.isPending}>
            Send invitation
          </Button>
        </>
      }
    >
      <form id="invite-user" onSubmit={submit} noValidate className="flex flex-col gap-4">
        {formError ? <Banner>{formError}</Banner> : null}
        <Field label="Email" required error={errorFor(errors, 'email')}>
          <Input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus autoComplete="off" />
        </Field>
        {pendingId ? (
          <Banner tone="info">
            <span className="flex flex-wrap items-center justify-between gap-2">
              Send that invitation again with a fresh link instead? (It keeps the roles it was made with.)
              <Button
                size="sm"
                loading={resend.isPending}
                onClick={() =>
                  resend.mutate(pendingId, {
                    onSuccess: () => onOpenChange(false),
                  })
                }
              >
                <RotateCw aria-hidden="true" /> Resend it
              </Button>
            </span>
          </Banner>
        ) : null}
        <Field label="Department" hint={can(me, 'users:create', 'any') ? 'Optional.' : 'You invite into your own department.'} error={errorFor(errors, 'department')}>
          <Input name="department" value={department} onChange={(e) => setDepartment(e.target.value)} readOnly={!can(me, 'users:create', 'any')} />
        </Field>
        {can(me, 'roles:assign') ? <RolePicker picked={picked} onChange={setPicked} error={errorFor(errors, 'roles')} /> : null}
      </form>
    </Dialog>
  );
}

/** "Invite" on the users page (for whoever may create users). */
export function InviteButton() {
  const me = useMe();
  const [open, setOpen] = useState(false);
  if (!can(me, 'users:create')) return null;
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <MailPlus aria-hidden="true" /> Invite
      </Button>
      {open ? <InviteDialog open={open} onOpenChange={setOpen} /> : null}
    </>
  );
}

function columns(onResend: (i: Invitation) => void, onRevoke: (i: Invitation) => void, resending: string | null): Column<Invitation>[] {
  return [
    { id: 'email', header: 'Email', className: 'max-w-0', cell: (i) => <span className="block truncate text-[13px] font-medium">{i.email}</span> },
    {
      id: 'roles',
      header: 'Roles',
      width: 'w-44',
      hideBelow: 'md',
      cell: (i) => (i.roles.length ? <span className="flex flex-wrap gap-1">{i.roles.map((r) => <Badge key={r}>{r}</Badge>)}</span> : <span className="text-fg-subtle">—</span>),
    },
    { id: 'department', header: 'Department', width: 'w-32', hideBelow: 'lg', cell: (i) => i.department ?? <span className="text-fg-subtle">—</span> },
    {
      id: 'expires',
      header: 'Expires',
      width: 'w-40',
      cell: (i) =>
        i.expired ? (
          <Badge tone="amber" dot>
            Expired
          </Badge>
        ) : (
          <span className="text-[13px]" title={formatDateTime(i.expiresAt)}>
            {formatDateTime(i.expiresAt)}
          </span>
        ),
    },
    { id: 'sent', header: 'Sent', width: 'w-28', hideBelow: 'md', cell: (i) => <Ago value={i.createdAt} /> },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      width: 'w-48',
      className: 'text-right',
      cell: (i) => (
        <span className="inline-flex gap-1.5">
          <Button size="sm" onClick={() => onResend(i)} loading={resending === i.id} aria-label={`Resend the invitation to ${i.email}`}>
            <RotateCw aria-hidden="true" /> Resend
          </Button>
          <Button size="sm" variant="ghost" onClick={() => onRevoke(i)} aria-label={`Revoke the invitation to ${i.email}`}>
            <X aria-hidden="true" /> Revoke
          </Button>
        </span>
      ),
    },
  ];
}

/** The pending invitations (not accepted or revoked; expired ones say so), with resend and revoke. */
export function InvitationsPanel() {
  const me = useMe();
  const qc = useQueryClient();
  const allowed = can(me, 'users:create');
  const list = useInfiniteQuery({ queryKey: invitationsKey, queryFn: ({ pageParam }) => listPage(pageParam), ...nextPages, enabled: allowed });
  const resend = useResend();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/invitations/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: invitationsKey });
      toast('Invitation revoked', { tone: 'success', description: `The link sent to ${revoking?.email ?? 'them'} no longer works.` });
      setRevoking(null);
    },
    onError: (err) => toast('Could not revoke the invitation', { tone: 'error', description: errorMessage(err) }),
  });
  if (!allowed) return null;
  const rows = rowsOf(list.data);
  return (
    <section className="mt-10" aria-labelledby="invitations-title">
      <div className="mb-3">
        <h2 id="invitations-title" className="text-[15px] font-semibold">
          Pending invitations
        </h2>
        <p className="mt-0.5 text-[13px] text-fg-muted">Invited people who have not joined yet. Resend mails a new link (the old one stops working).</p>
      </div>
      <TableCard
        error={list.error && !list.data ? list.error : null}
        onRetry={() => void list.refetch()}
        loading={list.isLoading}
        empty={rows.length > 0 ? null : <EmptyState icon={<MailPlus />} title="No pending invitations" description="Invite people with the Invite button above." />}
      >
        <DataTable
          caption="Pending invitations"
          testId="invitations-table"
          rowTestId="invitation-row"
          columns={columns((i) => resend.mutate(i.id), setRevoking, resend.isPending ? (resend.variables ?? null) : null)}
          rows={rows}
          rowKey={(i) => i.id}
        />
      </TableCard>
      <LoadMore count={rows.length} noun={['invitation', 'invitations']} hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onMore={() => void list.fetchNextPage()} />
      <ConfirmDialog
        open={!!revoking}
        onOpenChange={(o) => !o && setRevoking(null)}
        title={`Revoke the invitation to ${revoking?.email ?? ''}?`}
        description="Its link stops working at once. You can invite the address again later."
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      />
    </section>
  );
}
