import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { auth } from '../../lib/auth';
import { formatDateTime } from '../../lib/format';
import { ApiError, fieldErrors } from '../../lib/problem';
import { Badge } from '../../components/ui/badge';
import { buttonClass, Button } from '../../components/ui/button';
import { Field, Input } from '../../components/ui/input';
import { Banner, errorMessage, Spinner } from '../../components/ui/states';
import { useDocumentTitle } from '../../components/ui/page';
import { AuthLayout, BackToSignIn } from './AuthLayout';
import { newPasswordErrors, NewPasswordFields } from './NewPassword';

/** What a dead invitation link says, by the API's code. */
const DEAD: Record<string, { title: string; next: string }> = {
  invitation_accepted: { title: 'Invitation already accepted', next: 'Sign in with the password you chose then.' },
  invitation_expired: { title: 'Invitation expired', next: 'Ask whoever invited you to send it again.' },
  invitation_outdated: { title: 'Invitation no longer valid', next: 'A newer invitation email replaced this one, or it was withdrawn. Open the newest email, or ask for a new invitation.' },
  invalid_invitation: { title: 'Invitation link not valid', next: 'Check that you opened the whole link from the email.' },
};

function DeadLink({ error }: { error: unknown }) {
  const code = error instanceof ApiError ? error.code : '';
  const known = DEAD[code];
  return (
    <AuthLayout title={known?.title ?? 'The invitation could not be opened'} footer={code === 'invitation_accepted' ? undefined : <BackToSignIn />}>
      <Banner tone={known ? 'warning' : 'error'} className={code === 'invitation_accepted' ? 'mb-4' : undefined}>
        {known?.next ?? errorMessage(error)}
      </Banner>
      {code === 'invitation_accepted' ? (
        <Link to="/login" className={buttonClass('primary', 'lg', 'w-full')}>
          Sign in
        </Link>
      ) : null}
    </AuthLayout>
  );
}

/** The page an invitation email's link opens (`/invite?token=…`): who invites, then a name and a password. */
export function AcceptInvitationPage() {
  useDocumentTitle('Accept your invitation');
  const navigate = useNavigate();
  const { token } = useSearch({ from: '/invite' });
  const preview = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => call(api.GET('/api/invitations/accept', { params: { query: { token: token! } } })),
    enabled: !!token,
    retry: (n, err) => !(err instanceof ApiError && err.status > 0 && err.status < 500) && n < 2,
  });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [pending, setPending] = useState(false);
  const [dead, setDead] = useState<unknown>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const local = newPasswordErrors(password, confirm);
    if (!name.trim()) local.name = 'Enter your name as colleagues should see it.';
    setErrors(local);
    if (Object.keys(local).length || !token) return;
    setPending(true);
    try {
      await auth.acceptInvitation({ token, name: name.trim(), password });
      await navigate({ to: '/', replace: true });
    } catch (err) {
      setPending(false);
      if (err instanceof ApiError && err.code in DEAD) {
        setDead(err);
        return;
      }
      const fe = fieldErrors(err);
      setErrors(fe);
      setError(fe.password || fe.name ? null : errorMessage(err));
    }
  }

  if (!token) return <DeadLink error={new ApiError({ status: 400, code: 'invalid_invitation', detail: 'The address has no invitation token.' })} />;
  if (dead) return <DeadLink error={dead} />;
  if (preview.isError) return <DeadLink error={preview.error} />;
  if (!preview.data) {
    return (
      <AuthLayout title="Opening your invitation…">
        <div className="flex justify-center py-6" role="status" aria-label="Loading the invitation">
          <Spinner />
        </div>
      </AuthLayout>
    );
  }
  const inv = preview.data;
  return (
    <AuthLayout title={`Join ${inv.orgName}`} subtitle="Choose your name and a password to finish creating your account." footer={<BackToSignIn />}>
      <dl className="mb-5 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 rounded-lg border border-line bg-app p-3 text-[13px]" aria-label="Invitation">
        <dt className="text-fg-muted">Email</dt>
        <dd className="break-all font-medium" data-testid="invite-email">
          {inv.email}
        </dd>
        <dt className="text-fg-muted">Roles</dt>
        <dd className="flex flex-wrap gap-1">{inv.roles.length ? inv.roles.map((r) => <Badge key={r}>{r}</Badge>) : <span className="text-fg-subtle">None yet</span>}</dd>
        {inv.department ? (
          <>
            <dt className="text-fg-muted">Department</dt>
            <dd>{inv.department}</dd>
          </>
        ) : null}
        <dt className="text-fg-muted">Expires</dt>
        <dd>{formatDateTime(inv.expiresAt)}</dd>
      </dl>
      {error ? <Banner className="mb-4">{error}</Banner> : null}
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <Field label="Your name" required error={errors.name}>
          <Input name="name" autoComplete="name" autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <NewPasswordFields password={password} confirm={confirm} onPassword={setPassword} onConfirm={setConfirm} errors={errors} />
        <Button type="submit" variant="primary" size="lg" loading={pending} className="mt-1 w-full">
          Accept and sign in
        </Button>
      </form>
    </AuthLayout>
  );
}
