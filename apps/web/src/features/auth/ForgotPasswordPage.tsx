import { useState, type FormEvent } from 'react';
import { useSearch } from '@tanstack/react-router';
import { MailCheck } from 'lucide-react';
import { api, call } from '../../lib/api';
import { ApiError, fieldErrors } from '../../lib/problem';
import { Button } from '../../components/ui/button';
import { Field, Input } from '../../components/ui/input';
import { Banner, errorMessage } from '../../components/ui/states';
import { useDocumentTitle } from '../../components/ui/page';
import { AuthLayout, BackToSignIn } from './AuthLayout';

/**
 * "Forgot password?": asks for the address and answers the same whether an account uses it or not
 * (so the page tells no one who has an account). The email holds a link to /reset-password.
 */
export function ForgotPasswordPage() {
  useDocumentTitle('Reset your password');
  const search = useSearch({ from: '/forgot-password' });
  const [email, setEmail] = useState(search.email ?? '');
  const [org, setOrg] = useState('');
  const [pending, setPending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setErrors({});
    const address = email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
      setErrors({ email: 'Enter the email address you sign in with.' });
      return;
    }
    setPending(true);
    try {
      await call(api.POST('/api/auth/password/forgot', { body: { email: address, ...(org.trim() ? { org: org.trim() } : {}) } }));
      setSentTo(address);
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe);
      setError(
        err instanceof ApiError && err.status === 429
          ? 'Too many reset requests for this address. Wait a while, then try again (or use the link already sent).'
          : Object.keys(fe).length && !fe._form
            ? null
            : errorMessage(err),
      );
    } finally {
      setPending(false);
    }
  }

  if (sentTo) {
    return (
      <AuthLayout title="Check your email" footer={<BackToSignIn />}>
        <div className="flex flex-col items-center gap-3 text-center" role="status">
          <MailCheck className="size-8 text-accent" aria-hidden="true" />
          <p className="text-[13px]">
            If an account uses <strong className="break-all">{sentTo}</strong>, a link to choose a new password is on its way. It works once and expires
            soon.
          </p>
          <p className="text-xs text-fg-subtle">Nothing after a few minutes? Check your spam folder, or ask again.</p>
          <Button onClick={() => setSentTo(null)}>Ask again</Button>
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Reset your password" subtitle="Enter the email you sign in with; we send a link to choose a new password." footer={<BackToSignIn />}>
      {error ? <Banner className="mb-4">{error}</Banner> : null}
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <Field label="Email" required error={errors.email}>
          <Input type="email" name="email" autoComplete="username" autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Organization" hint="Optional: its short name (e.g. default), if you belong to several." error={errors.org}>
          <Input name="org" value={org} onChange={(e) => setOrg(e.target.value)} autoComplete="organization" />
        </Field>
        <Button type="submit" variant="primary" size="lg" loading={pending} className="mt-1 w-full">
          Send the link
        </Button>
      </form>
    </AuthLayout>
  );
}
