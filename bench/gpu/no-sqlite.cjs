// Stand-in for better-sqlite3 in the device bundle of bench/regret/gp-timing.ts (bench/gpu/bundle.sh): that
// bench uses memory storage only, and the device machine has no node_modules.
module.exports = function Database() {
  throw new Error('better-sqlite3 is not in this bundle (bench/gpu/bundle.sh: memory storage only)');
};
