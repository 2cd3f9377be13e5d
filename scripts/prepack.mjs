#!/usr/bin/env node
/**
 * `npm pack` / `npm publish`: puts the native engine into prebuilds/<platform>-<arch>/ so that an install
 * of the tarball needs no compiler. One N-API build serves every Node ≥ 20. The cmake-js build in
 * build/cmake/Release is used as it is (with the CUDA backend when it was compiled with nvcc; cuBLAS and
 * cuSOLVER are loaded at run time, so it loads without them); only when there is none is one built,
 * for the x86-64 baseline (TUNABLE_PORTABLE) into build/prebuild.
 *
 * tunable.json beside it records what the binary requires of the machine (glibc, AVX2), which the
 * install script and the loader check before they load it.
 *
 * Environment: TUNABLE_PREBUILD=0 packs without a prebuild (what a platform without one gets: a build
 * from source at install); TUNABLE_PREBUILD_FROM=<file> packs that addon instead.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tag = `${process.platform}-${process.arch}`;
const dir = join(root, 'prebuilds', tag);
const log = (m) => console.error(`tunable prepack: ${m}`);

rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
if (process.env.TUNABLE_PREBUILD === '0') {
  log('TUNABLE_PREBUILD=0: packing without a prebuilt engine');
  process.exit(0);
}
if (tag !== 'linux-x64') {
  log(`prebuilt engines are packed on linux-x64 only; this is ${tag}: packing without one`);
  process.exit(0);
}

let source = process.env.TUNABLE_PREBUILD_FROM ?? join(root, 'build', 'cmake', 'Release', 'tunable.node');
let cache = join(root, 'build', 'cmake', 'CMakeCache.txt');
if (!existsSync(source)) {
  log(`${source} does not exist: building a portable engine into build/prebuild`);
  const cmakeJs = createRequire(join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build/prebuild', '--CDTUNABLE_PORTABLE=ON'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    log('the build failed; `npm pack` stops here rather than ship a package without its engine');
    process.exit(1);
  }
  source = join(root, 'build', 'prebuild', 'Release', 'tunable.node');
  cache = join(root, 'build', 'prebuild', 'CMakeCache.txt');
}

// AVX2/FMA code is in the binary when CMakeLists.txt added -mavx2 -mfma: not portable, the compiler takes
// the flag and the building CPU has both (the same rule; its result is not cached, so it is re-derived).
let avx2 = false;
if (!process.env.TUNABLE_PREBUILD_FROM && existsSync(cache)) {
  const text = readFileSync(cache, 'utf8');
  const portable = /^TUNABLE_PORTABLE:BOOL=(ON|1|TRUE)$/im.test(text);
  const flag = /^TUNABLE_HAS_AVX2_FLAG:INTERNAL=1$/m.test(text);
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  avx2 = !portable && flag && /\savx2(\s|$)/m.test(info) && /\sfma(\s|$)/m.test(info);
} else if (process.env.TUNABLE_PREBUILD_FROM) {
  avx2 = true; // unknown origin: claim the stricter requirement, the install probe still decides
}

const probe = spawnSync(
  process.execPath,
  ['-e', `const a = require(${JSON.stringify(source)}); console.log(JSON.stringify({ buildSystem: a.buildSystem, abiVersion: a.abiVersion, cuda: !!(a.cudaStatus && a.cudaStatus(false).compiled) }))`],
  { encoding: 'utf8' },
);
if (probe.status !== 0) {
  log(`${source} does not load:\n${probe.stderr}`);
  process.exit(1);
}
const info = JSON.parse(probe.stdout.trim().split('\n').at(-1));
mkdirSync(dir, { recursive: true });
copyFileSync(source, join(dir, 'tunable.node'));
const meta = {
  platform: process.platform,
  arch: process.arch,
  napi: 8,
  glibc: process.report.getReport().header.glibcVersionRuntime,
  avx2,
  cuda: info.cuda,
  buildSystem: info.buildSystem,
  engineAbiVersion: info.abiVersion,
};
writeFileSync(join(dir, 'tunable.json'), JSON.stringify(meta, null, 2) + '\n');
log(`prebuilds/${tag}/tunable.node from ${source} (${JSON.stringify(meta)})`);
