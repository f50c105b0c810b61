// Protocol constants shared by client and server (see docs/protocol.md).

export const PROTOCOL_VERSION = 2;

/** Largest request body any route accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Size bounds of the client-sealed backup key blob the vault stores. */
export const SEALED_KEY_MIN_BYTES = 1;
export const SEALED_KEY_MAX_BYTES = 1024;

/** How long a login start stays redeemable. */
export const LOGIN_TTL_MS = 60_000;

/** How long a registration start stays redeemable (the client runs Argon2id in between). */
export const REGISTRATION_TTL_MS = 300_000;

export const DEFAULT_MAX_ATTEMPTS = 10;
export const MIN_MAX_ATTEMPTS = 1;
export const MAX_MAX_ATTEMPTS = 255;

/**
 * The local runtime's default account for its scripts shortcut (README "Scripts and tests"; the CLI's `--account`
 * default): the runtime reserves it at start, so sign-up can never take it (docs/threat-model.md "The local runtime").
 */
export const LOCAL_DEFAULT_ACCOUNT = 'me';

/** Longest account id (JWT `sub`) the vault accepts. */
export const MAX_ACCOUNT_ID_LENGTH = 128;

/** HKDF-SHA256 `info` labels (unchanged since protocol version 1). Changing one is a protocol version change. */
export const HKDF_LABELS = {
  loginBox: 'bkv/v1/login-box',
  sealedKey: 'bkv/v1/sealed-key',
  /** The X25519 age identity of backup files: HKDF-SHA256(ikm = K, salt = empty, info = this), 32 bytes. */
  ageIdentity: 'bkv/v1/age-identity',
} as const;

/**
 * OPAQUE key-stretching function, fixed since protocol version 1: Argon2id with RFC 9106's second recommended
 * option (t = 3 passes, m = 64 MiB, p = 4 lanes). A device recovering K must use exactly what registration used.
 */
export const OPAQUE_KEY_STRETCHING = {
  'argon2id-custom': { iterations: 3, memory: 65536, parallelism: 4 },
} as const;
