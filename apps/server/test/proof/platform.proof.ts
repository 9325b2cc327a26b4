import { defineProofSeed } from '../../src/platform/module/proof.ts';

const kinds = ['deadLetter'] as const;

declare module '../../src/platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
}

const NAME = 'Proof dead letter';

/**
 * The platform's own proof seed (its admin routes have ids too): a durable subscription that gives up
 * at once on an operation of this name leaves the org one dead letter. It runs after every module's
 * seed (it builds on the operations API).
 */
export default defineProofSeed({
  kinds,
  values: [],
  families: [[/^\/api\/event-subscriptions\/dead-letters\//, 'deadLetter']],
  params: {},
  queryIds: {},
  async create(api) {
    if (!api.subscriptions.has('proof.world')) {
      api.subscriptions.register({
        name: 'proof.world',
        types: ['operation.created'],
        maxAttempts: 1,
        handler: async (e) => {
          if (e.topic === 'operations' && (e.payload.operation as { name?: string }).name === NAME) throw new Error('the proof world’s dead letter');
        },
      });
      await api.subscriptions.flush();
    }
    const op = await api.call<{ id: string }>('POST', '/api/operations', { body: { name: NAME } });
    await api.subscriptions.flush();
    const letters = await api.call<{ data: { id: string; payload: { operation?: { id: string } } }[] }>('GET', '/api/event-subscriptions/dead-letters?subscription=proof.world');
    const letter = letters.data.find((d) => d.payload.operation?.id === op.id);
    if (!letter) throw new Error('The platform seed: the operation was not dead-lettered.');
    return { ids: { deadLetter: letter.id }, values: {}, secrets: [] };
  },
});
