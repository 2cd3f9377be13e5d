// require('tunable') from CommonJS, as the README's "CommonJS" note says: it returns the ES module's
// exports where Node's require() loads ES modules, and otherwise throws ERR_REQUIRE_ESM saying to use import().
let result;
try {
  const tunable = require('tunable');
  result = { loaded: true, createStudy: typeof tunable.createStudy, same: tunable.engine === require('tunable').engine };
} catch (e) {
  result = { loaded: false, code: e.code, message: e.message };
}
console.log(JSON.stringify({ requireModule: Boolean(process.features.require_module), ...result }));
