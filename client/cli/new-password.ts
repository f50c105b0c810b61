// Choosing a new vault password in the CLI (`bkv init`, `bkv passwd`): the password is checked with the SDK's
// estimatePasswordStrength (protocol/password-strength.ts), the account name counting as known to an attacker.
// Refused: the reason, and a terminal asks again (a script gets exit 2). Weak: a warning with the offline time,
// then a terminal asks to confirm and a script must pass --yes. `--generate-password` draws six diceware words
// instead; the caller shows them once, after the vault accepted them. Messages never contain the password.

import { ClientError } from '../errors.js';
import type { GeneratedPassphrase, PasswordStrength } from '../../protocol/password-strength.js';
import type { Session } from './session.js';

/** How many refused passwords a terminal asks again for. */
export const REFUSED_TRIES = 3;

export interface NewPasswordOptions {
  account: string;
  question: string;
  /** The variable that may hold the new password instead of a prompt (BKV_PASSWORD, BKV_NEW_PASSWORD). */
  envName: string;
  /** Accept a weak (not a refused) password without asking. */
  yes?: boolean;
  /** Generate a passphrase instead of asking. */
  generate?: boolean;
  maxAttempts?: number;
}

export interface NewPassword {
  password: string;
  /** Set when generated: show it with `showGenerated` once the vault holds K behind it. */
  generated?: GeneratedPassphrase;
}

function reason(s: PasswordStrength): string {
  return s.reasons[0] ?? 'it is too easy to guess';
}

export async function chooseNewPassword(session: Session, options: NewPasswordOptions): Promise<NewPassword> {
  const { estimatePasswordStrength, generatePassphrase } = await import('../../protocol/password-strength.js');
  const fromEnv = await session.givenPassword(options.envName);
  if (options.generate) {
    if (fromEnv) {
      const which = session.env[options.envName] ? options.envName : 'a password file or command';
      throw new ClientError('usage', `--generate-password and ${which} both give the new password: choose one`);
    }
    const generated = generatePassphrase();
    return { password: generated.passphrase, generated };
  }
  const ask = !fromEnv && session.prompt.interactive;
  for (let attempt = 1; ; attempt++) {
    const password = fromEnv || (await session.prompt.newSecret(options.question));
    const s = estimatePasswordStrength(password, { userInputs: [options.account], maxAttempts: options.maxAttempts });
    if (s.verdict === 'refused') {
      const why = `password refused: ${reason(s)}; ${s.offline.statement}`;
      if (!ask || attempt >= REFUSED_TRIES) throw new ClientError('usage', `${why}. choose a longer one, or let bkv make one with --generate-password`);
      session.say(`${why}.`);
      session.say('choose a longer one (several unrelated words work well), or press ctrl-c and use --generate-password.');
      continue;
    }
    if (s.verdict === 'weak') {
      session.say(`warning: weak password: ${reason(s)}.`);
      session.say(`${s.offline.statement}; ${s.online.statement}.`);
      if (options.yes) return { password };
      if (!session.prompt.interactive) throw new ClientError('usage', 'weak password: not using it without --yes (or choose a stronger one, or --generate-password)');
      if (await session.prompt.confirm('use this weak password anyway?')) return { password };
      if (!ask) throw new ClientError('cancelled', `cancelled; ${options.envName} holds the weak password`);
      continue;
    }
    session.say(`password strength ok: ${s.offline.statement}.`);
    return { password };
  }
}

/** Prints a generated passphrase once: the words on stdout, what to do with them on stderr. */
export function showGenerated(session: Session, generated: GeneratedPassphrase): void {
  session.say(`your new password is below: ${generated.words.length} random words (${Math.floor(generated.entropyBits)} bits). it is shown only this once:`);
  session.say('write it down or keep it in a password manager. without it (or the 64-digit key) the backups cannot be restored elsewhere.');
  process.stdout.write(`${generated.passphrase}\n`);
}
