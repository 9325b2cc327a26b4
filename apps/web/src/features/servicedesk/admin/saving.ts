import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { toast } from '../../../lib/toast';
import { errorMessage } from '../../../components/ui/states';

/**
 * A mutation that refreshes `keys` on success and reports the outcome in a toast; failures too,
 * unless the form shows them itself (`inlineErrors`).
 */
export function useSaving<I, O>(fn: (input: I) => Promise<O>, keys: QueryKey[], done?: string | ((out: O) => string), opts: { inlineErrors?: boolean } = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (out) => {
      for (const k of keys) void qc.invalidateQueries({ queryKey: k });
      if (done) toast(typeof done === 'string' ? done : done(out), { tone: 'success' });
    },
    onError: (err) => {
      if (!opts.inlineErrors) toast('Not saved', { tone: 'error', description: errorMessage(err) });
    },
  });
}
