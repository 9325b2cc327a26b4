import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Check, Copy, Download, KeyRound, ShieldCheck, ShieldOff } from 'lucide-react';
import { api, call } from '../../lib/api';
import { ApiError } from '../../lib/problem';
import { keys, useMe } from '../../lib/queries';
import { toast } from '../../lib/toast';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { Field, Input } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { Banner, errorMessage } from '../../components/ui/states';
import { ChangePassword } from './ChangePassword';
import { PasskeysSection } from './PasskeysSection';

/** The otpauth:// URI as a QR code, drawn locally (no image service). */
function QrCode({ value }: { value: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void import('qrcode').then((QR) =>
      QR.toString(value, { type: 'svg', margin: 1, errorCorrectionLevel: 'M', color: { dark: '#111114', light: '#ffffff' } }).then((svg) => {
        if (live) setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
      }),
    );
    return () => {
      live = false;
    };
  }, [value]);
  return (
    <div className="flex size-48 items-center justify-center rounded-lg border border-line bg-white p-2">
      {src ? <img src={src} alt="QR code for your authenticator app" className="size-full" data-testid="mfa-qr" /> : <div className="size-full skeleton" />}
    </div>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <Button
      size="sm"
      onClick={() =>
        void navigator.clipboard?.writeText(text).then(
          () => {
            setDone(true);
            setTimeout(() => setDone(false), 1500);
          },
          () => toast('Copying is not allowed here', { tone: 'warning' }),
        )
      }
    >
      {done ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />} {done ? 'Copied' : label}
    </Button>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const [saved, setSaved] = useState(false);
  const download = () => {
    const blob = new Blob([`IMSOP recovery codes\nEach code works once.\n\n${codes.join('\n')}\n`], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'imsop-recovery-codes.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  return (
    <Card className="p-5" aria-labelledby="recovery-title">
      <div className="flex items-start gap-3">
        <span className="flex size-9 shrink-0 items-center justify-center rounded-full bg-emerald-500/10 text-emerald-600 dark:text-emerald-400">
          <ShieldCheck className="size-5" aria-hidden="true" />
        </span>
        <div>
          <h2 id="recovery-title" className="text-[15px] font-semibold">
            Two-factor authentication is on
          </h2>
          <p className="mt-1 text-[13px] text-fg-muted">Save these recovery codes somewhere safe. Each one signs you in once if you lose your phone.</p>
        </div>
      </div>
      <Banner tone="warning" className="mt-4">
        They are shown <strong>only this once</strong>. IMSOP keeps only their hashes.
      </Banner>
      <ol className="mt-4 grid grid-cols-2 gap-2 rounded-lg border border-line bg-app p-4 font-mono text-[13px] sm:grid-cols-2" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c} className="tabular">
            {c}
          </li>
        ))}
      </ol>
      <div className="mt-4 flex flex-wrap items-center gap-2">
        <CopyButton text={codes.join('\n')} label="Copy" />
        <Button size="sm" onClick={download}>
          <Download aria-hidden="true" /> Download
        </Button>
        <label className="ml-auto flex items-center gap-2 text-[13px]">
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} /> I have saved them
        </label>
        <Button variant="primary" size="sm" disabled={!saved} onClick={onDone}>
          Done
        </Button>
      </div>
    </Card>
  );
}

function Enrol({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const [setup, setSetup] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () => call(api.POST('/api/auth/mfa/setup')),
    onSuccess: setSetup,
    onError: (err) => setError(errorMessage(err)),
  });
  const enable = useMutation({
    mutationFn: () => call(api.POST('/api/auth/mfa/enable', { body: { code: code.replace(/\s+/g, '') } })),
    onSuccess: (r) => onEnabled(r.recoveryCodes),
    onError: (err) => {
      setError(err instanceof ApiError && err.status === 401 ? 'That code does not match. Check the time on your phone, and enter the current code.' : errorMessage(err));
      setCode('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    enable.mutate();
  };
  if (!setup) {
    return (
      <Card className="p-5">
        <div className="flex flex-wrap items-center gap-4">
          <span className="flex size-9 shrink-0 items-center justify-center rounded-full bg-hover text-fg-muted">
            <ShieldOff className="size-5" aria-hidden="true" />
          </span>
          <div className="min-w-0 flex-1">
            <h2 className="flex items-center gap-2 text-[15px] font-semibold">
              Two-factor authentication <Badge>Off</Badge>
            </h2>
            <p className="mt-1 text-[13px] text-fg-muted">Protect your account with a code from an authenticator app (1Password, Google Authenticator, Aegis…) in addition to your password.</p>
          </div>
          <Button variant="primary" onClick={() => start.mutate()} loading={start.isPending}>
            <KeyRound aria-hidden="true" /> Set up
          </Button>
        </div>
        {error ? <Banner className="mt-4">{error}</Banner> : null}
      </Card>
    );
  }
  const grouped = setup.secret.match(/.{1,4}/g)?.join(' ') ?? setup.secret;
  return (
    <Card aria-labelledby="enrol-title">
      <CardHeader id="enrol-title" title="Set up two-factor authentication" description="Two steps: scan, then confirm with a code." />
      <div className="grid gap-6 p-5 md:grid-cols-[auto_1fr]">
        <div className="flex flex-col items-center gap-3">
          <QrCode value={setup.otpauthUri} />
          <p className="text-center text-xs text-fg-subtle">Scan with your authenticator app</p>
        </div>
        <div className="flex min-w-0 flex-col gap-5">
          <div>
            <p className="text-[13px] font-medium">1. Scan the QR code</p>
            <p className="mt-1 text-[13px] text-fg-muted">Or type this key into the app:</p>
            <div className="mt-2 flex flex-wrap items-center gap-2">
              <code className="rounded-md border border-line bg-app px-2.5 py-1.5 font-mono text-[13px] break-all" data-testid="mfa-secret">
                {grouped}
              </code>
              <CopyButton text={setup.secret} label="Copy key" />
            </div>
          </div>
          <form onSubmit={submit} noValidate className="flex flex-col gap-3">
            <p className="text-[13px] font-medium">2. Enter the 6-digit code it shows</p>
            {error ? <Banner>{error}</Banner> : null}
            <div className="flex items-end gap-2">
              <Field label="Code" className="w-40">
                <Input
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={7}
                  placeholder="123 456"
                  className="text-center font-mono tracking-[0.2em]"
                  autoFocus
                />
              </Field>
              <Button type="submit" variant="primary" loading={enable.isPending} disabled={code.replace(/\s/g, '').length < 6}>
                Turn on
              </Button>
            </div>
          </form>
        </div>
      </div>
    </Card>
  );
}

function Enabled() {
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const disable = useMutation({
    mutationFn: () => call(api.POST('/api/auth/mfa/disable', { body: { password, code: code.replace(/\s+/g, '') } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.me });
      toast('Two-factor authentication is off', { tone: 'success' });
    },
    onError: (err) => setError(err instanceof ApiError && err.status === 401 ? 'The password or the code is not right.' : errorMessage(err)),
  });
  return (
    <Card className="p-5">
      <div className="flex flex-wrap items-center gap-4">
        <span className="flex size-9 shrink-0 items-center justify-center rounded-full bg-emerald-500/10 text-emerald-600 dark:text-emerald-400">
          <ShieldCheck className="size-5" aria-hidden="true" />
        </span>
        <div className="min-w-0 flex-1">
          <h2 className="flex items-center gap-2 text-[15px] font-semibold">
            Two-factor authentication <Badge tone="green">On</Badge>
          </h2>
          <p className="mt-1 text-[13px] text-fg-muted">Signing in asks for a code from your authenticator app, or one of your recovery codes.</p>
        </div>
        {!open ? (
          <Button onClick={() => setOpen(true)}>Turn off…</Button>
        ) : null}
      </div>
      {open ? (
        <form
          className="mt-5 flex flex-col gap-3 border-t border-line pt-5"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            disable.mutate();
          }}
        >
          <p className="text-[13px] text-fg-muted">Confirm with your password and a current code (or a recovery code).</p>
          {error ? <Banner>{error}</Banner> : null}
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Password">
              <Input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
            </Field>
            <Field label="Code">
              <Input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" />
            </Field>
          </div>
          <div className="flex justify-end gap-2">
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" variant="danger" loading={disable.isPending} disabled={!password || code.trim().length < 6}>
              Turn off two-factor
            </Button>
          </div>
        </form>
      ) : null}
    </Card>
  );
}

/** MFA enrolment (QR code drawn locally, confirmation code, recovery codes shown once) and the user's passkeys. */
export function SecurityPage() {
  useDocumentTitle('Two-factor authentication');
  const me = useMe();
  const qc = useQueryClient();
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <Page width="narrow">
      <PageHeader title="Two-factor authentication" description="A second step at sign-in keeps your account safe even if your password leaks." />
      {codes ? (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            void qc.invalidateQueries({ queryKey: keys.me });
          }}
        />
      ) : me.twoFactorEnabled ? (
        <Enabled />
      ) : (
        <Enrol onEnabled={setCodes} />
      )}
      <ChangePassword />
      <PasskeysSection />
    </Page>
  );
}
