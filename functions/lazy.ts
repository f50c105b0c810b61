// Adapters built on first use, once per cold start. A Lambda function builds only what its route uses, so it
// needs only the environment its route's permissions give it (lib/constructs/vault-api.ts), and a module import
// builds nothing.

/** A value made by `make` on the first call, then cached; a `make` that throws is tried again on the next call. */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * A port (an interface of methods only) whose adapter is made on its first method call. So a function whose
 * route never seals builds no KMS sealer, and reads no KMS_KEY_ID.
 */
export function onFirstUse<T extends object>(make: () => T): T {
  const adapter = once(make);
  return new Proxy({} as T, {
    get(_, name) {
      if (name === 'then') return undefined; // not a promise; awaiting the port must not build it
      const made = adapter();
      const value: unknown = Reflect.get(made, name, made);
      return typeof value === 'function' ? value.bind(made) : value;
    },
  });
}
