// Prints extra compiler flags for binding.gyp: AVX2/FMA when this x86-64 CPU has them (the same
// rule as CMakeLists.txt); nothing elsewhere or when TUNABLE_PORTABLE=1.
const fs = require('node:fs');
let flags = '';
if (process.arch === 'x64' && process.env.TUNABLE_PORTABLE !== '1') {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    if (/\savx2(\s|$)/m.test(info) && /\sfma(\s|$)/m.test(info)) flags = '-mavx2 -mfma';
  } catch {
    // not Linux: stay portable
  }
}
console.log(flags);
