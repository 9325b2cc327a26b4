import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { ArrowLeft, ShieldCheck } from 'lucide-react';
import { auth } from '../../lib/auth';
import { ApiError, fieldErrors } from '../../lib/problem';
import { Button } from '../../components/ui/button';
import { Field, Input } from '../../components/ui/input';
import { Banner } from '../../components/ui/states';
import { useDocumentTitle } from '../../components/ui/page';
import { AuthLayout } from './AuthLayout';
import { PasskeyButton } from './PasskeyButton';
import { SsoButton } from './SsoButton';

function loginMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Sign-in failed. Try again.';
  if (err.status === 0) return err.detail;
  if (err.status === 401) return 'The email or password is not right.';
  return err.detail;
}

/** Sign in: email and password, then the second factor when the account has MFA. */
export function LoginPage() {
  useDocumentTitle('Sign in');
  const navigate = useNavigate();
  const search = useSearch({ from: '/login' });
  const reason = auth.state.reason;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [org, setOrg] = useState('');
  const [needOrg, setNeedOrg] = useState(false);
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [mfaPasskey, setMfaPasskey] = useState(false);
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (mfaToken) codeRef.current?.focus();
  }, [mfaToken, recovery]);

  const done = () => navigate({ to: search.redirect ?? '/', replace: true });

  async function submitPassword(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    setErrors({});
    try {
      const res = await auth.login({ email: email.trim(), password, ...(needOrg && org.trim() ? { org: org.trim() } : {}) });
      if (res) {
        setMfaToken(res.mfaToken);
        setMfaPasskey(res.methods.includes('passkey'));
        setPending(false);
        return;
      }
      await done();
    } catch (err) {
      setPending(false);
      const fe = fieldErrors(err);
      if (err instanceof ApiError && (err.code.includes('org') || fe.org)) setNeedOrg(true);
      setErrors(fe);
      setError(Object.keys(fe).length && !fe._form ? null : loginMessage(err));
    }
  }

  async function submitCode(e: FormEvent) {
    e.preventDefault();
    if (!mfaToken) return;
    setPending(true);
    setError(null);
    try {
      await auth.verifyMfa(mfaToken, code.replace(/\s+/g, ''));
      await done();
    } catch (err) {
      setPending(false);
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That code is not valid, or the sign-in has expired. Try a fresh code, or go back and sign in again.'
          : loginMessage(err),
      );
      setCode('');
      codeRef.current?.focus();
    }
  }

  return (
    <AuthLayout
      title={mfaToken ? 'Two-factor authentication' : 'Sign in to IMSOP'}
      subtitle={
        mfaToken
          ? recovery
            ? 'Enter one of your recovery codes. Each works once.'
            : 'Enter the 6-digit code from your authenticator app.'
          : 'Operations, telemetry and alarms in one place.'
      }
      footer={
        <>
          Looking for the API? See the <a href="/docs" className="underline underline-offset-2 hover:text-fg">interactive documentation</a>.
        </>
      }
    >
      {error ? (
        <Banner className="mb-4">{error}</Banner>
      ) : !mfaToken && reason === 'expired' ? (
        <Banner tone="info" className="mb-4">
          Your session ended. Sign in again to continue.
        </Banner>
      ) : !mfaToken && reason === 'unreachable' ? (
        <Banner tone="warning" className="mb-4">
          The server could not be reached. Check that IMSOP is running, then sign in.
        </Banner>
      ) : null}

      {!mfaToken ? (
        <>
          <form onSubmit={submitPassword} className="flex flex-col gap-4" noValidate>
            <Field label="Email" error={errors.email}>
              <Input type="email" name="email" autoComplete="username" autoFocus value={email} onChange={(e) => setEmail(e.target.value)} required />
            </Field>
            <Field label="Password" error={errors.password}>
              <Input type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </Field>
            <Link to="/forgot-password" search={email.trim() ? { email: email.trim() } : {}} className="-mt-2 self-end text-[13px] font-medium text-accent hover:underline">
              Forgot password?
            </Link>
            {needOrg ? (
              <Field label="Organization" hint="The organization's short name (slug), e.g. default." error={errors.org}>
                <Input name="org" value={org} onChange={(e) => setOrg(e.target.value)} autoComplete="organization" />
              </Field>
            ) : null}
            <Button type="submit" variant="primary" size="lg" loading={pending} className="mt-1 w-full">
              Sign in
            </Button>
            <PasskeyButton onSignedIn={done} onError={setError} />
          </form>
          <SsoButton onSignedIn={() => void done()} />
        </>
      ) : (
        <form onSubmit={submitCode} className="flex flex-col gap-4" noValidate>
          <Field label={recovery ? 'Recovery code' : 'Authentication code'}>
            <Input
              ref={codeRef}
              name="code"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              autoComplete="one-time-code"
              inputMode={recovery ? 'text' : 'numeric'}
              pattern={recovery ? undefined : '[0-9 ]*'}
              maxLength={recovery ? 32 : 7}
              placeholder={recovery ? 'xxxx-xxxx-xxxx' : '123 456'}
              className="h-10 text-center font-mono text-base tracking-[0.3em]"
            />
          </Field>
          <Button type="submit" variant="primary" size="lg" loading={pending} disabled={code.replace(/\s/g, '').length < 6} className="w-full">
            <ShieldCheck aria-hidden="true" /> Verify
          </Button>
          {mfaPasskey ? <PasskeyButton mfaToken={mfaToken} label="Use a passkey instead" onSignedIn={done} onError={setError} /> : null}
          <div className="flex items-center justify-between text-[13px]">
            <button
              type="button"
              className="inline-flex items-center gap-1 text-fg-muted hover:text-fg"
              onClick={() => {
                setMfaToken(null);
                setCode('');
                setError(null);
              }}
            >
              <ArrowLeft className="size-3.5" aria-hidden="true" /> Back
            </button>
            <button
              type="button"
              className="font-medium text-accent hover:underline"
              onClick={() => {
                setRecovery((r) => !r);
                setCode('');
                setError(null);
              }}
            >
              {recovery ? 'Use the authenticator app' : 'Use a recovery code'}
            </button>
          </div>
        </form>
      )}
    </AuthLayout>
  );
}
