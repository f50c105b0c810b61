// Ctrl-C (SIGINT) in the `bkv` CLI, as one named state machine with one process listener:
//
//   idle ──SIGINT──▶ exit now: 2, or the code the run has already decided if it is only exiting (nothing is in
//                    progress that could be left half-made)
//   idle ──begin()──▶ working: an operation holds an AbortController
//   working ──SIGINT──▶ cancelling: the controller is aborted; the operation unwinds and the CLI exits 2
//   cancelling ──SIGINT──▶ exit 2 now (a second Ctrl-C does not wait for the unwinding)
//   working ──decided()──▶ finishing: the outcome is on the server (a snapshot committed); Ctrl-C no longer
//                          changes it, so the CLI finishes closing and reports it (a second Ctrl-C exits with
//                          the code the run has decided so far)
//   working | cancelling | finishing ──end()──▶ idle (when `run` returns: its exit code is decided)
//
// Without this, a Ctrl-C that lands while a committed backup is only closing kills the process by signal: the
// snapshot is on the server but the exit status says "interrupted". The SDK's own listeners (a restore removes
// its staging directory on SIGINT) run beside this one.

import { ClientError } from '../errors.js';
import { EXIT } from './exit.js';
import { sayLine } from './say.js';

export type InterruptState = 'idle' | 'working' | 'cancelling' | 'finishing';

interface Machine {
  state: InterruptState;
  controller?: AbortController;
  presses: number;
}

const machine: Machine = { state: 'idle', presses: 0 };
let installed = false;

const CANCELLED_MESSAGE = 'cancelled (ctrl-c): nothing was committed';

/** What a Ctrl-C does in each state; exported for its tests (a real SIGINT goes through `onSigint`). */
export function press(exit: (code: number) => void = (code) => process.exit(code)): InterruptState {
  machine.presses += 1;
  switch (machine.state) {
    case 'idle':
      if (typeof process.exitCode === 'number') exit(process.exitCode);
      else {
        sayLine('bkv: cancelled (ctrl-c)');
        exit(EXIT.usage);
      }
      break;
    case 'working':
      machine.state = 'cancelling';
      machine.controller?.abort(new ClientError('cancelled', CANCELLED_MESSAGE));
      break;
    case 'cancelling':
      exit(EXIT.usage);
      break;
    case 'finishing':
      if (machine.presses > 1) exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
      break;
  }
  return machine.state;
}

function onSigint(): void {
  press();
}

/** The CLI's one SIGINT listener (once per process). */
export function install(): void {
  if (installed) return;
  process.on('SIGINT', onSigint);
  installed = true;
}

/** Starts an operation that Ctrl-C cancels through the returned signal. */
export function begin(): AbortSignal {
  install();
  const controller = new AbortController();
  Object.assign(machine, { state: 'working', controller, presses: 0 });
  return controller.signal;
}

/** The operation's outcome is decided (it reached the server): Ctrl-C lets the CLI finish and report it. */
export function decided(): void {
  if (machine.state === 'working') Object.assign(machine, { state: 'finishing', presses: 0 });
}

/** The run is over: a Ctrl-C from now on ends the process at once. */
export function end(): void {
  Object.assign(machine, { state: 'idle', controller: undefined, presses: 0 });
}

export function interruptState(): InterruptState {
  return machine.state;
}
