/**
 * "Now", in epoch milliseconds. Background work (subscription retries, job schedules) reads time only
 * through one of these, so tests move time by hand instead of waiting for it.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
