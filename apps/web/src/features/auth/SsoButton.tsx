import { useEffect, useRef, useState, type FormEvent } from 'react';
import { KeyRound } from 'lucide-react';
import { createImsopClient } from '@imsop/sdk';
import { auth } from '../../lib/auth';
import { ApiError, toApiError } from '../../lib/problem';
import { Button } from '../../components/ui/button';
import { Field, Input } from '../../components/ui/input';
import { Banner } from '../../components/ui/states';

/** What the server's single sign-on refusals (`?sso_error=` on the way back) mean to the person. */
const SSO_ERRORS: Record<string, string> = {
  sso_invalid_state: 'The single sign-on took too long or did not start in this browser. Try again.',
  sso_failed: 'Your identity provider did not confirm the sign-in. Try again.',
  sso_provider_unavailable: 'Your identity provider could not be reached. Try again later, or ask your administrator.',
  sso_email_unverified: 'Your identity provider did not confirm your email address, so you cannot sign in with it.',
  sso_domain_not_allowed: 'Your email domain may not sign in to this organization with single sign-on.',
  sso_account_not_found: 'There is no account for you in this organization yet. Ask an administrator for access.',
  account_disabled: 'Your account is deactivated. Ask an administrator.',
};
export const ssoErrorMessage = (code: string) => SSO_ERRORS[code] ?? 'Single sign-on failed. Try again, or sign in with your password.';

type Choice = { id: string; name: string; org: { slug: string; name: string } };
const bare = createImsopClient({ baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin });
const start = (id: string) => location.assign(`/api/auth/sso/start?provider=${encodeURIComponent(id)}`);

/**
 * "Sign in with SSO" on the login page: asks for the work email (or the organization's slug), finds
 * its identity provider and sends the browser there. Back from the provider, the login page's
 * address says how it went (`?sso=done` or `?sso_error=`): done takes up the session the callback
 * started (its refresh cookie), then `onSignedIn` runs.
 */
export function SsoButton({ onSignedIn }: { onSignedIn: () => void }) {
  const [open, setOpen] = useState(false);
  const [who, setWho] = useState('');
  const [choices, setChoices] = useState<Choice[] | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signedIn = useRef(onSignedIn);
  signedIn.current = onSignedIn;

  useEffect(() => {
    const q = new URLSearchParams(location.search);
    const failed = q.get('sso_error');
    if (failed) setError(ssoErrorMessage(failed));
    if (q.get('sso') !== 'done') return;
    setPending(true);
    void auth.adoptCookieSession().then((ok) => {
      setPending(false);
      if (ok) signedIn.current();
      else setError('The single sign-on finished, but no session came with it. Try again.');
    });
  }, []);

  async function find(e: FormEvent) {
    e.preventDefault();
    const value = who.trim();
    if (!value) return;
    setPending(true);
    setError(null);
    setChoices(null);
    const query = value.includes('@') ? { email: value } : { org: value.toLowerCase() };
    try {
      const res = await bare.GET('/api/auth/sso/providers', { params: { query } });
      if (!res.data) throw toApiError(res.error, res.response);
      const found = res.data.data;
      if (found.length === 1) return start(found[0]!.id);
      setPending(false);
      if (found.length === 0) setError(`No single sign-on is set up for ${value}. Sign in with your password, or ask your administrator.`);
      else setChoices(found);
    } catch (err) {
      setPending(false);
      setError(err instanceof ApiError ? err.detail : 'The server could not be reached. Try again.');
    }
  }

  return (
    <div className="mt-4 border-t border-line pt-4" data-testid="sso">
      {error ? (
        <Banner className="mb-3">{error}</Banner>
      ) : null}
      {!open ? (
        <Button type="button" variant="secondary" size="lg" className="w-full" loading={pending} onClick={() => setOpen(true)}>
          <KeyRound aria-hidden="true" /> Sign in with SSO
        </Button>
      ) : (
        <form onSubmit={find} className="flex flex-col gap-3" noValidate aria-label="Single sign-on">
          <Field label="Work email or organization" hint="We send you to your organization’s identity provider.">
            <Input name="sso" autoFocus autoComplete="username" value={who} onChange={(e) => setWho(e.target.value)} />
          </Field>
          <Button type="submit" variant="secondary" size="lg" className="w-full" loading={pending} disabled={!who.trim()}>
            Continue with SSO
          </Button>
          {choices ? (
            <ul className="flex flex-col gap-2" aria-label="Identity providers">
              {choices.map((c) => (
                <li key={c.id}>
                  <Button type="button" variant="subtle" className="w-full justify-start" onClick={() => start(c.id)}>
                    {c.name} <span className="text-fg-muted">· {c.org.name}</span>
                  </Button>
                </li>
              ))}
            </ul>
          ) : null}
        </form>
      )}
    </div>
  );
}
