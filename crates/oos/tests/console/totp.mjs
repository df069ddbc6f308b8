// Prints the TOTP codes of a Base32 seed for the previous and the current time step, one a line
// (what BindMFADevice takes as AuthenticationCode1 and AuthenticationCode2).
import { totp } from './lib.mjs';

console.log(totp(process.argv[2], -1));
console.log(totp(process.argv[2], 0));
