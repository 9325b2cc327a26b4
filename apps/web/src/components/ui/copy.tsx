import { useRef, useState } from 'react';
import { Check, Copy } from 'lucide-react';
import { Button } from './button';

/**
 * Copies a text to the clipboard; when the browser refuses (permissions, an insecure origin), the
 * element in `target` is selected for a manual copy.
 */
export function useCopy<E extends HTMLInputElement | HTMLTextAreaElement | HTMLElement>() {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const target = useRef<E>(null);
  const copy = async (value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      const el = target.current;
      if (el && 'select' in el) el.select();
      else if (el) window.getSelection()?.selectAllChildren(el);
      setCopied('failed');
    }
  };
  return { copied, copy, target };
}

/** A command or snippet to paste, with a copy button. */
export function CopyBlock({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const { copied, copy, target } = useCopy<HTMLPreElement>();
  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-center justify-between gap-2">
        <span className="text-[13px] font-medium">{label}</span>
        <Button size="sm" variant="ghost" onClick={() => void copy(value)} aria-label={`Copy ${label.toLowerCase()}`}>
          {copied === 'yes' ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <pre ref={target} tabIndex={0} aria-label={label} data-testid={testId} className="overflow-x-auto rounded-md border border-line bg-app px-2.5 py-2 font-mono text-[12px] leading-relaxed whitespace-pre-wrap break-all text-fg">
        {value}
      </pre>
      {copied === 'failed' ? (
        <p className="text-xs text-fg-subtle" role="status">
          The browser refused the clipboard: the text is selected, press Ctrl+C (⌘C).
        </p>
      ) : null}
    </div>
  );
}
