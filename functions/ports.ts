// The small ports the services depend on. Adapters live in functions/adapters (AWS) and local/ (one machine).

/** What a KMS ciphertext is for; part of its encryption context, with the account (invariant 6). */
export type SealPurpose = 'sealed-key' | 'opaque-record' | 'login-state' | 'server-setup';
export const SEAL_PURPOSES: readonly SealPurpose[] = ['sealed-key', 'opaque-record', 'login-state', 'server-setup'];

export interface SealContext {
  purpose: SealPurpose;
  /** The account the data belongs to; `DEPLOYMENT_ACCOUNT` for deployment-wide secrets. */
  account: string;
}

/** Account value in the context of deployment-wide secrets (no JWT `sub` can take it: see http/request.ts). */
export const DEPLOYMENT_ACCOUNT = '#deployment';

/** Authenticated encryption bound to a context: KMS in AWS, AES-256-GCM under a key file locally. */
export interface Sealer {
  seal(plaintext: Uint8Array, context: SealContext): Promise<Uint8Array>;
  /** Throws BkvError('internal') when the blob was not sealed under this exact context. */
  unseal(sealed: Uint8Array, context: SealContext): Promise<Uint8Array>;
}

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface PendingLogin {
  loginId: string;
  /** Sealed OPAQUE server login state (purpose `login-state`). */
  state: Uint8Array;
  expiresAt: number;
}

/** The single DynamoDB item of an account's vault. */
export interface VaultItem {
  account: string;
  generation: number;
  maxAttempts: number;
  attempts: number;
  destroyed: boolean;
  /** Sealed OPAQUE registration record; gone once destroyed. */
  record?: Uint8Array;
  /** Sealed (KMS-wrapped) client-sealed backup key; gone once destroyed. */
  sealedKey?: Uint8Array;
  pending?: PendingLogin;
  updatedAt: number;
}

export interface Registration {
  record: Uint8Array;
  sealedKey: Uint8Array;
  maxAttempts: number;
  now: number;
}

export interface FinishLogin {
  generation: number;
  loginId: string;
  /** The count read together with the pending login; the write is conditional on it being unchanged. */
  attempts: number;
  now: number;
  outcome: 'success' | 'failure';
  /** With a failure: also crypto-shred the record and sealed key (the count is spent). */
  destroy: boolean;
}

/**
 * Vault persistence. Every state change is one conditional write on the account's one item (no transactions,
 * no TTL: the production table is a DynamoDB MRSC global table). Reads are strongly consistent.
 */
export interface VaultStore {
  get(account: string): Promise<VaultItem | undefined>;
  /** Replaces the whole record: generation + 1, attempts 0, pending login dropped. Returns the new generation. */
  register(account: string, registration: Registration): Promise<number>;
  /**
   * Counts a login attempt and stores its pending login, replacing any earlier one, only if the item has this
   * generation, is not destroyed and `attempts < maxAttempts`. Returns the new count, or undefined if refused.
   */
  startLogin(account: string, generation: number, pending: PendingLogin, now: number): Promise<number | undefined>;
  /** Consumes the pending login `loginId` if it is unexpired and unchanged. Returns false if refused. */
  finishLogin(account: string, finish: FinishLogin): Promise<boolean>;
  /**
   * Crypto-shreds the record and sealed key if the count is spent and no pending login is still live.
   * Returns true if this call destroyed it.
   */
  destroyIfSpent(account: string, generation: number, now: number): Promise<boolean>;
  delete(account: string): Promise<void>;
  /** Deployment-wide sealed OPAQUE server setup. */
  getServerSetup(): Promise<Uint8Array | undefined>;
  /** Stores it unless one exists; returns the one that is stored afterwards. */
  putServerSetupIfAbsent(sealed: Uint8Array): Promise<Uint8Array>;
}
