// What the package tests share: the repository root, scratch directories, and running a tool
// with its output kept for the failure message.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function scratch(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Runs `bin args` to completion and returns its stdout; throws with stdout and stderr if it fails.
export function run(bin, args, { cwd = root, env = process.env } = {}) {
  try {
    return execFileSync(bin, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
                                     maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`${bin} ${args.join(' ')} failed (${error.status ?? error.signal}):\n` +
                    `${error.stdout ?? ''}\n${error.stderr ?? ''}`.slice(-8000));
  }
}
