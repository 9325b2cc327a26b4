import type { ReactNode } from 'react';
import { Check, Copy } from 'lucide-react';
import { Button } from './button';
import { useCopy } from './copy';
import { Banner } from './states';

/** A credential shown once (an API key, a device key): a copy button, and the warning that it will not be shown again. */
export function SecretOnce({ label, value, children }: { label: string; value: string; children?: ReactNode }) {
  const { copied, copy, target: box } = useCopy<HTMLInputElement>();
  return (
    <div className="flex flex-col gap-3">
      <Banner tone="warning">Copy it now: it is shown only this once. Only a hash is stored, so it cannot be recovered later.</Banner>
      {children}
      <div className="flex flex-col gap-1.5">
        <label className="text-[13px] font-medium" htmlFor="secret-once">
          {label}
        </label>
        <div className="flex gap-2">
          <input
            ref={box}
            id="secret-once"
            readOnly
            value={value}
            onFocus={(e) => e.currentTarget.select()}
            className="h-8 min-w-0 flex-1 rounded-md border border-line bg-app px-2.5 font-mono text-[12.5px] text-fg focus-visible:border-accent focus-visible:ring-3 focus-visible:ring-accent/25 focus-visible:outline-none"
            data-testid="secret-value"
          />
          <Button onClick={() => void copy(value)} aria-label={`Copy ${label.toLowerCase()}`}>
            {copied === 'yes' ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
            {copied === 'yes' ? 'Copied' : 'Copy'}
          </Button>
        </div>
        <p className="text-xs text-fg-subtle" role="status">
          {copied === 'failed' ? 'The browser refused the clipboard: the key is selected, press Ctrl+C (⌘C).' : copied === 'yes' ? 'Copied to the clipboard.' : '\u00a0'}
        </p>
      </div>
    </div>
  );
}
