import { uuidv7 } from 'uuidv7';

/** Primary keys are UUIDv7: time-ordered, so B-tree inserts stay local and ids sort by creation. */
export const newId = (): string => uuidv7();
