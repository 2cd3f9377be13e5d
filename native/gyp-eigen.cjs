// Prints Eigen's include folder for binding.gyp, or explains what to install and fails.
const fs = require('node:fs');
const path = require('node:path');
const candidates = [
  process.env.EIGEN3_INCLUDE_DIR,
  '/usr/include/eigen3',
  '/usr/local/include/eigen3',
  '/opt/homebrew/include/eigen3',
  '/opt/local/include/eigen3',
].filter(Boolean);
const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'Eigen', 'Core')));
if (!found) {
  console.error(
    'tunable: Eigen 3.4 headers not found. Install them (Debian/Ubuntu: `apt-get install libeigen3-dev`, ' +
      'Fedora: `dnf install eigen3-devel`, macOS: `brew install eigen`) or set EIGEN3_INCLUDE_DIR to the folder ' +
      'that contains Eigen/Core.',
  );
  process.exit(1);
}
console.log(found);
