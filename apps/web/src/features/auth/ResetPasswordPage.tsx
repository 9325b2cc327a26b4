import { useState, type FormEvent } from 'react';
import { Link, useSearch } from '@tanstack/react-router';
import { CheckCircle2 } from 'lucide-react';
import { api, call } from '../../lib/api';
import { ApiError, fieldErrors } from '../../lib/problem';
import { buttonClass, Button } from '../../components/ui/button';
import { Banner, errorMessage } from '../../components/ui/states';
import { useDocumentTitle } from '../../components/ui/page';
import { AuthLayout, BackToSignIn } from './AuthLayout';
import { newPasswordErrors, NewPasswordFields } from './NewPassword';

function AskAgain() {
  return (
    <Link to="/forgot-password" className="font-medium text-accent hover:underline">
      Ask for a new link
    </Link>
  );
}

/** The page a reset email's link opens (`/reset-password?token=…`): choose a new password, then sign in. */
export function ResetPasswordPage() {
  useDocumentTitle('Choose a new password');
  const { token } = useSearch({ from: '/reset-password' });
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [pending, setPending] = useState(false);
  const [done, setDone] = useState(false);
  const [linkDead, setLinkDead] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const local = newPasswordErrors(password, confirm);
    setErrors(local);
    if (Object.keys(local).length || !token) return;
    setPending(true);
    try {
      await call(api.POST('/api/auth/password/reset', { body: { token, password } }));
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_reset_token') {
        setLinkDead(err.detail);
        return;
      }
      const fe = fieldErrors(err);
      setErrors(fe);
      setError(fe.password ? null : errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  if (!token || linkDead) {
    return (
      <AuthLayout title="This link does not work" footer={<BackToSignIn />}>
        <Banner className="mb-4">{linkDead ?? 'The address has no reset token. Open the whole link from the email.'}</Banner>
        <p className="text-[13px]">
          Reset links work once and expire after a while. <AskAgain />.
        </p>
      </AuthLayout>
    );
  }

  if (done) {
    return (
      <AuthLayout title="Password changed">
        <div className="flex flex-col items-center gap-3 text-center" role="status">
          <CheckCircle2 className="size-8 text-emerald-600" aria-hidden="true" />
          <p className="text-[13px]">Your new password is set, and every session of your account was signed out. Sign in with the new password.</p>
          <Link to="/login" className={buttonClass('primary', 'lg', 'w-full')}>
            Sign in
          </Link>
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Choose a new password" subtitle="It replaces the old one, and signs your account out everywhere." footer={<BackToSignIn />}>
      {error ? <Banner className="mb-4">{error}</Banner> : null}
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <NewPasswordFields password={password} confirm={confirm} onPassword={setPassword} onConfirm={setConfirm} errors={errors} />
        <Button type="submit" variant="primary" size="lg" loading={pending} className="mt-1 w-full">
          Set the new password
        </Button>
      </form>
    </AuthLayout>
  );
}
