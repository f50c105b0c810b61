// The cheap Argon2id setting every test uses (t = 1, 1 MiB, p = 1) instead of protocol/constants.ts's real one,
// in a module of its own so protocol tests need not load the local runtime (test/helpers/local.ts has the same).
export const CHEAP_STRETCHING = { 'argon2id-custom': { iterations: 1, memory: 1024, parallelism: 1 } } as const;
