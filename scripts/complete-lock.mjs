// The registry this project is built against serves only the linux-x64 builds of native
// packages, so `npm install` drops the other platforms' optional packages from
// package-lock.json, and `npm ci` then refuses the lock file as out of sync. This puts them back
// (with their os/cpu, so npm skips them on other machines). Run it after any `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const platform = /-(darwin|linux|win32|freebsd|android)-(x64|arm64|arm|ia32|riscv64|ppc64|s390x)(-(musl|gnu|msvc|gnueabihf))?$/;
const out = {};
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  out[key] = entry;
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const match = platform.exec(name);
    const at = `node_modules/${name}`;
    if (!match || lock.packages[at] || out[at]) continue;
    const [, os, cpu, , abi] = match;
    const added_ = { version, cpu: [cpu] };
    if (os === 'linux') added_.libc = [abi === 'musl' ? 'musl' : 'glibc'];
    Object.assign(added_, { optional: true, os: [os] });
    out[at] = added_;
    added++;
  }
}
lock.packages = out;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform package(s) added`);
