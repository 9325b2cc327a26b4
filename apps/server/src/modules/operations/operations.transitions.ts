import type { OPERATION_STATUSES } from './operations.schema.ts';

export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** The explicit transition table. Moves out of a finished state are reopenings (their own permission). */
export const TRANSITIONS: Record<OperationStatus, readonly OperationStatus[]> = {
  pending: ['in_progress', 'failed'],
  in_progress: ['completed', 'failed', 'pending'],
  completed: ['in_progress'],
  failed: ['pending', 'in_progress'],
};

export const isReopening = (from: OperationStatus) => from === 'completed' || from === 'failed';

export function allowedMoves(from: OperationStatus): readonly OperationStatus[] {
  return TRANSITIONS[from];
}

export function canMove(from: OperationStatus, to: OperationStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}
