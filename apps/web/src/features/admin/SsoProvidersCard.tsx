import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Pencil, Plus, Trash2 } from 'lucide-react';
import { api, call } from '../../lib/api';
import { errorFor, fieldErrors } from '../../lib/problem';
import { rolesQuery } from '../../lib/queries';
import { toast } from '../../lib/toast';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog';
import { Field, Input, Select } from '../../components/ui/input';
import { Banner, errorMessage, ErrorState, SkeletonRows } from '../../components/ui/states';

type Provider = { id: string; name: string; issuer: string; clientId: string; allowedDomains: string[]; jitEnabled: boolean; defaultRole: string | null; linkByEmail: boolean; enabled: boolean };
type Draft = { name: string; issuer: string; clientId: string; clientSecret: string; domains: string; jitEnabled: boolean; defaultRole: string; linkByEmail: boolean; enabled: boolean };

const ssoKey = ['org', 'sso-providers'] as const;
const emptyDraft: Draft = { name: '', issuer: '', clientId: '', clientSecret: '', domains: '', jitEnabled: false, defaultRole: 'viewer', linkByEmail: true, enabled: true };
const draftOf = (p: Provider): Draft => ({ ...p, clientSecret: '', domains: p.allowedDomains.join(', '), defaultRole: p.defaultRole ?? 'viewer' });

function Check({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint: string }) {
  return (
    <label className="flex items-start gap-2 text-[13px]">
      <input type="checkbox" className="mt-0.5" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <span>
        {label}
        <span className="block text-xs text-fg-muted">{hint}</span>
      </span>
    </label>
  );
}

/**
 * The organization's OpenID Connect providers (org:update): add, edit, switch off and remove them.
 * The client secret is write-only: the API says one is stored, never what it is.
 */
export function SsoProvidersCard() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ssoKey, queryFn: () => call(api.GET('/api/organizations/current/sso-providers')) });
  const roles = useQuery(rolesQuery);
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  const [removing, setRemoving] = useState<Provider | null>(null);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const callback = `${location.origin}/api/auth/sso/callback`;

  const open = (p: Provider | 'new') => {
    setDraft(p === 'new' ? emptyDraft : draftOf(p));
    setErrors({});
    setFormError(null);
    setEditing(p);
  };

  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: draft.name.trim(),
        issuer: draft.issuer.trim(),
        clientId: draft.clientId.trim(),
        allowedDomains: draft.domains.split(/[\s,]+/).filter(Boolean),
        jitEnabled: draft.jitEnabled,
        defaultRole: draft.jitEnabled ? draft.defaultRole : null,
        linkByEmail: draft.linkByEmail,
        enabled: draft.enabled,
      };
      if (editing === 'new') return call(api.POST('/api/organizations/current/sso-providers', { body: { ...body, clientSecret: draft.clientSecret } }));
      return call(
        api.PATCH('/api/organizations/current/sso-providers/{id}', {
          params: { path: { id: (editing as Provider).id } },
          body: { ...body, ...(draft.clientSecret ? { clientSecret: draft.clientSecret } : {}) },
        }),
      );
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ssoKey });
      toast(editing === 'new' ? 'Identity provider added' : 'Identity provider saved', { tone: 'success' });
      setEditing(null);
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      setFormError(Object.keys(fe).length ? null : errorMessage(err));
    },
  });

  const remove = useMutation({
    mutationFn: (p: Provider) => call(api.DELETE('/api/organizations/current/sso-providers/{id}', { params: { path: { id: p.id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ssoKey });
      toast('Identity provider removed', { tone: 'success' });
      setRemoving(null);
    },
    onError: (err) => toast(errorMessage(err), { tone: 'error' }),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };

  const providers: Provider[] = list.data?.data ?? [];
  return (
    <Card aria-labelledby="org-sso">
      <CardHeader
        id="org-sso"
        title="Single sign-on"
        description="OpenID Connect providers people can sign in with."
        actions={
          <Button size="sm" onClick={() => open('new')}>
            <Plus aria-hidden="true" /> Add provider
          </Button>
        }
      />
      {list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isLoading ? (
        <SkeletonRows rows={2} />
      ) : providers.length === 0 ? (
        <p className="px-4 py-3 text-[13px] text-fg-muted">No identity provider yet: everyone signs in with a password.</p>
      ) : (
        <ul className="divide-y divide-line" aria-label="Identity providers">
          {providers.map((p) => (
            <li key={p.id} className="flex items-center gap-3 px-4 py-3">
              <div className="min-w-0 flex-1">
                <div className="flex items-center gap-2 text-[13px] font-medium">
                  {p.name}
                  <Badge tone={p.enabled ? 'green' : 'neutral'}>{p.enabled ? 'On' : 'Off'}</Badge>
                  {p.jitEnabled ? <Badge tone="blue">Creates accounts as {p.defaultRole}</Badge> : null}
                </div>
                <p className="truncate text-xs text-fg-muted">
                  <span className="font-mono">{p.issuer}</span> · {p.allowedDomains.join(', ')}
                </p>
              </div>
              <Button variant="ghost" size="icon-sm" aria-label={`Edit ${p.name}`} onClick={() => open(p)}>
                <Pencil aria-hidden="true" />
              </Button>
              <Button variant="ghost" size="icon-sm" aria-label={`Remove ${p.name}`} onClick={() => setRemoving(p)}>
                <Trash2 aria-hidden="true" />
              </Button>
            </li>
          ))}
        </ul>
      )}
      <p className="border-t border-line px-4 py-2.5 text-xs text-fg-muted">
        Register this redirect URI at the provider: <span className="font-mono">{callback}</span>
      </p>

      <Dialog
        open={editing !== null}
        onOpenChange={(o) => (o ? null : setEditing(null))}
        title={editing === 'new' ? 'Add an identity provider' : 'Edit the identity provider'}
        description="Sign-in uses the authorization code flow with PKCE. The provider must confirm the email address (email_verified)."
        size="lg"
        footer={
          <>
            <Button onClick={() => setEditing(null)}>Cancel</Button>
            <Button variant="primary" type="submit" form="sso-provider-form" loading={save.isPending}>
              {editing === 'new' ? 'Add provider' : 'Save provider'}
            </Button>
          </>
        }
      >
        <form id="sso-provider-form" onSubmit={submit} noValidate className="grid gap-4 sm:grid-cols-2" aria-label="Identity provider">
          {formError ? <Banner className="sm:col-span-2">{formError}</Banner> : null}
          <Field label="Button label" required hint="Shown to people choosing how to sign in." error={errorFor(errors, 'name')}>
            <Input name="name" value={draft.name} onChange={(e) => set('name', e.target.value)} placeholder="Acme Google" />
          </Field>
          <Field label="Issuer URL" required hint="https://, e.g. https://accounts.google.com" error={errorFor(errors, 'issuer')}>
            <Input name="issuer" value={draft.issuer} onChange={(e) => set('issuer', e.target.value)} className="font-mono" />
          </Field>
          <Field label="Client ID" required error={errorFor(errors, 'clientId')}>
            <Input name="clientId" value={draft.clientId} onChange={(e) => set('clientId', e.target.value)} className="font-mono" autoComplete="off" />
          </Field>
          <Field label="Client secret" required={editing === 'new'} hint={editing === 'new' ? 'Stored encrypted; never shown again.' : 'Leave empty to keep the stored secret.'} error={errorFor(errors, 'clientSecret')}>
            <Input name="clientSecret" type="password" value={draft.clientSecret} onChange={(e) => set('clientSecret', e.target.value)} autoComplete="new-password" />
          </Field>
          <Field label="Allowed email domains" required hint="Comma-separated, e.g. acme.com, acme.co.uk" error={errorFor(errors, 'allowedDomains')} className="sm:col-span-2">
            <Input name="allowedDomains" value={draft.domains} onChange={(e) => set('domains', e.target.value)} />
          </Field>
          <div className="flex flex-col gap-3 sm:col-span-2">
            <Check label="Link existing users by verified email" hint="A first sign-in whose verified address is an existing user’s becomes that user." checked={draft.linkByEmail} onChange={(v) => set('linkByEmail', v)} />
            <Check label="Create accounts on first sign-in" hint="Unknown people of an allowed domain get an account with the role below." checked={draft.jitEnabled} onChange={(v) => set('jitEnabled', v)} />
            <Check label="Enabled" hint="Off hides the provider from the login page and refuses its sign-ins." checked={draft.enabled} onChange={(v) => set('enabled', v)} />
          </div>
          {draft.jitEnabled ? (
            <Field label="Role of new accounts" error={errorFor(errors, 'defaultRole')}>
              <Select name="defaultRole" value={draft.defaultRole} onChange={(e) => set('defaultRole', e.target.value)}>
                {(roles.data?.data ?? [{ id: 'viewer', name: 'viewer', displayName: 'Viewer' }]).map((r) => (
                  <option key={r.id} value={r.name}>
                    {r.displayName}
                  </option>
                ))}
              </Select>
            </Field>
          ) : null}
        </form>
      </Dialog>
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(o) => (o ? null : setRemoving(null))}
        title={`Remove ${removing?.name ?? 'this provider'}?`}
        description="People who signed in with it keep their accounts, but must use a password or another provider."
        confirmLabel="Remove"
        pending={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
      />
    </Card>
  );
}
