// What the console's browser specs share: Chromium launched headless through playwright-core
// (installed by the Rust harness, crates/oos/tests/console_browser.rs), signing in, screenshots,
// TOTP codes, and checks that fail the script with a message.

import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.env.PLAYWRIGHT_DIR || '.', 'node_modules', '.keep'));
const { chromium } = require('playwright-core');

/** The server under test, e.g. http://127.0.0.1:41234. */
export const SERVER = process.env.CONSOLE_SERVER;
export const CONSOLE = `${SERVER}/console/`;
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Runs `body(browser)` in a fresh headless Chromium; exits non-zero with the failure. */
export async function run(name, body) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const started = Date.now();
  try {
    await body(browser);
    console.log(`ok ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    console.error(`FAILED ${name}: ${error.stack || error}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

/** A page in its own context (its own cookies) that fails on script errors and CSP violations. */
export async function page(browser) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const opened = await context.newPage();
  opened.errors = [];
  opened.on('pageerror', (error) => opened.errors.push(`page error: ${error.message}`));
  opened.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) opened.errors.push(message.text());
  });
  return opened;
}

/** Saves a PNG of `opened` as `<name>.png` when CONSOLE_SCREENSHOTS is set. */
export async function shot(opened, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await opened.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a Base32 seed, `steps` time steps from now. */
export function totp(seed, steps = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of seed.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

/** Signs `user` in through the sign-in page (with `mfaSeed`'s current code when asked). */
export async function signIn(opened, user, password, mfaSeed) {
  await opened.goto(CONSOLE);
  await opened.waitForSelector('#username');
  await opened.fill('#username', user);
  await opened.fill('#password', password);
  await opened.click('button[type=submit]');
  if (mfaSeed) {
    await opened.waitForSelector('#mfa', { state: 'visible' });
    await opened.fill('#mfa', totp(mfaSeed));
    await opened.click('button[type=submit]');
  }
  await opened.waitForSelector('nav.sidebar');
}

/** Fails when the page reported script errors or CSP violations. */
export function noErrors(opened) {
  check(opened.errors.length === 0, `no script errors or CSP violations: ${opened.errors.join('; ')}`);
}
