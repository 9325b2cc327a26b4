import type { ReactNode } from 'react';
import { useDocumentTitle } from '../../../components/ui/page';

/** The frame of the pages people without an account see: a brand line, the content, a footer. */
export function PublicLayout({ title, children }: { title: string; children: ReactNode }) {
  useDocumentTitle(title);
  return (
    <div className="flex min-h-dvh flex-col bg-app">
      <header className="border-b border-line bg-surface">
        <div className="mx-auto flex h-14 max-w-3xl items-center gap-2.5 px-4 sm:px-6">
          <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="var(--accent)" />
            <path d="M9 22V10h3v12zm5.5 0V10h2.6l2.4 6.1 2.4-6.1H24v12h-2.7v-6.8l-2 5h-1.7l-2-5V22z" fill="#fff" />
          </svg>
          <span className="text-[13px] font-semibold">Support</span>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-3xl flex-1 px-4 py-8 sm:px-6">
        {children}
      </main>
      <footer className="py-6 text-center text-xs text-fg-subtle">Powered by IMSOP</footer>
    </div>
  );
}
