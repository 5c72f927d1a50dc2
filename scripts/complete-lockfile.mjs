#!/usr/bin/env node
// The npm registry mirror this project is built against serves only the linux-x64 builds of
// packages that ship per-platform binaries (biome, kilo, opencode, backlog.md). npm then
// leaves the other platforms out of package-lock.json, and `npm ci` refuses the lock as
// incomplete. This adds the missing optional entries with their os/cpu/libc, which npm uses
// to skip them on every other platform, exactly as a complete lock would.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key]) continue;
    const tail = name.split('/').pop();
    const os = /android/.test(tail)
      ? 'android'
      : /darwin/.test(tail)
        ? 'darwin'
        : /win32|windows/.test(tail)
          ? 'win32'
          : /linux/.test(tail)
            ? 'linux'
            : undefined;
    const cpu = /arm64/.test(tail) ? 'arm64' : /x64/.test(tail) ? 'x64' : undefined;
    if (!os || !cpu) continue;
    const entry = { version, cpu: [cpu], optional: true, os: [os] };
    if (meta.dev) entry.dev = true;
    if (os === 'linux') entry.libc = [/musl/.test(tail) ? 'musl' : 'glibc'];
    pkgs[key] = entry;
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`complete-lockfile: added ${added} platform entries\n`);
