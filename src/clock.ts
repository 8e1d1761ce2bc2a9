/** Unix time in whole seconds, injected so tests can control it. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);
