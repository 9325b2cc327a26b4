import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { KeyRound } from 'lucide-react';
import { api, call } from '../../lib/api';
import { errorFor, fieldErrors } from '../../lib/problem';
import { keys } from '../../lib/queries';
import { toast } from '../../lib/toast';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { Field, Input } from '../../components/ui/input';
import { Banner, errorMessage } from '../../components/ui/states';

/** "Change my password": the current one is required; the API ends every other session. */
export function ChangePassword() {
  const qc = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: () => call(api.POST('/api/auth/password', { body: { currentPassword: current, newPassword: next } })),
    onSuccess: (r) => {
      setCurrent('');
      setNext('');
      setRepeat('');
      void qc.invalidateQueries({ queryKey: keys.sessions });
      toast('Password changed', {
        tone: 'success',
        description: r.otherSessionsRevoked ? `${r.otherSessionsRevoked} other session${r.otherSessionsRevoked === 1 ? ' was' : 's were'} signed out.` : 'You stay signed in here.',
      });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      setErrors(fe);
      setFormError(fe.currentPassword || fe.newPassword ? null : errorMessage(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    if (next !== repeat) {
      setErrors({ repeat: 'The two new passwords differ.' });
      return;
    }
    setErrors({});
    change.mutate();
  };
  return (
    <Card aria-labelledby="change-password" className="mt-6">
      <CardHeader id="change-password" title="Password" description="Changing it signs you out on every other device." />
      <form onSubmit={submit} noValidate className="flex flex-col gap-4 p-5" data-testid="change-password">
        {formError ? <Banner>{formError}</Banner> : null}
        <Field label="Current password" required error={errorFor(errors, 'currentPassword')}>
          <Input name="currentPassword" type="password" value={current} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" />
        </Field>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="New password" required hint="12 characters or more, not your email." error={errorFor(errors, 'newPassword')}>
            <Input name="newPassword" type="password" value={next} onChange={(e) => setNext(e.target.value)} autoComplete="new-password" />
          </Field>
          <Field label="Repeat the new password" required error={errors.repeat}>
            <Input name="repeatPassword" type="password" value={repeat} onChange={(e) => setRepeat(e.target.value)} autoComplete="new-password" />
          </Field>
        </div>
        <div>
          <Button type="submit" variant="primary" loading={change.isPending} disabled={!current || !next || !repeat}>
            <KeyRound aria-hidden="true" /> Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}
