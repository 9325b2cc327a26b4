import { useState } from 'react';
import { Fingerprint } from 'lucide-react';
import { passkeyErrorMessage, passkeysSupported, signInWithPasskey } from '../../lib/passkeys';
import { Button } from '../../components/ui/button';

/**
 * "Sign in with a passkey": the browser offers the passkeys it holds for this site (face,
 * fingerprint or device PIN), and a verified one signs in with no password. With `mfaToken` it
 * completes the second step of a password sign-in instead. Renders nothing where WebAuthn is missing.
 */
export function PasskeyButton({
  mfaToken,
  onSignedIn,
  onError,
  label = 'Sign in with a passkey',
}: {
  mfaToken?: string;
  onSignedIn: () => void | Promise<unknown>;
  onError: (message: string | null) => void;
  label?: string;
}) {
  const [pending, setPending] = useState(false);
  if (!passkeysSupported()) return null;
  async function go() {
    setPending(true);
    onError(null);
    try {
      await signInWithPasskey(mfaToken);
      await onSignedIn();
    } catch (err) {
      setPending(false);
      onError(passkeyErrorMessage(err, 'sign-in'));
    }
  }
  return (
    <Button type="button" size="lg" loading={pending} onClick={() => void go()} className="w-full">
      <Fingerprint aria-hidden="true" /> {label}
    </Button>
  );
}
