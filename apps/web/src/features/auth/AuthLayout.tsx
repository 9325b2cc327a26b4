import type { ReactNode } from 'react';
import { Link } from '@tanstack/react-router';
import { ArrowLeft } from 'lucide-react';

function Logo() {
  return (
    <svg viewBox="0 0 32 32" className="size-10" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M9 22V10h3v12zm5.5 0V10h2.6l2.4 6.1 2.4-6.1H24v12h-2.7v-6.8l-2 5h-1.7l-2-5V22z" fill="#fff" />
    </svg>
  );
}

/** The frame of the pages used signed out: sign-in, forgotten password, reset, invitation. */
export function AuthLayout({ title, subtitle, children, footer }: { title: ReactNode; subtitle?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-dvh items-center justify-center bg-app px-4 py-12">
      <div className="w-full max-w-[380px]">
        <div className="mb-8 flex flex-col items-center text-center">
          <Logo />
          <h1 className="mt-5 text-xl font-semibold tracking-[-0.01em]">{title}</h1>
          {subtitle ? <p className="mt-1.5 text-[13px] text-fg-muted">{subtitle}</p> : null}
        </div>
        <div className="rounded-xl border border-line bg-surface p-6 shadow-card">{children}</div>
        {footer ? <div className="mt-6 text-center text-xs text-fg-subtle">{footer}</div> : null}
      </div>
    </main>
  );
}

/** "Back to sign in", under the card of the signed-out pages. */
export function BackToSignIn() {
  return (
    <Link to="/login" className="inline-flex items-center gap-1 text-[13px] text-fg-muted hover:text-fg">
      <ArrowLeft className="size-3.5" aria-hidden="true" /> Back to sign in
    </Link>
  );
}
