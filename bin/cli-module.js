'use strict';
// dist/cli.js as a CommonJS module compiled through vm.Script, so that V8 can take a code cache for
// it (and make one): what bin/iam-refine.js runs, and what scripts/code-cache.mjs makes the cache with.
const path = require('node:path');
const vm = require('node:vm');
// the CommonJS loader's Module, as this module's own constructor: require('node:module') loads the
// ES module loader with it (about 1 ms more of every command)
const Module = module.constructor;

/** Compiles `file` (its text `source`) with `cachedData` if given; `run()` evaluates it as the module `file`. */
function compileCli(file, source, cachedData, parent) {
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const fn = script.runInThisContext();
  const m = new Module(file, parent);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = m;
  return {
    script,
    run() {
      fn.call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
      m.loaded = true;
    },
  };
}

module.exports = { compileCli };
