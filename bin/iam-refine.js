#!/usr/bin/env node
'use strict';
// dist/cli.js, compiled from the V8 code cache made by the build (dist/cli.js.cache, see
// scripts/code-cache.mjs) when this Node's V8 accepts it: about 10 ms of every command's start-up.
// A cache made by another V8 (or for another text) is rejected by V8 itself, and the file is then
// compiled as usual; anything wrong before the CLI runs (no cache, not this file's) is a plain require.
const path = require('node:path');
const file = path.join(__dirname, '..', 'dist', 'cli.js');

function compiled() {
  const fs = require('node:fs');
  const vm = require('node:vm');
  const Module = require('node:module');
  let cachedData;
  try {
    // V8 checks a cache's version, flags and the source's length, not its text: the cache is used
    // only for the very file it was made from (its size and modification time, written beside it)
    const made = JSON.parse(fs.readFileSync(file + '.cache.json', 'utf8'));
    const now = fs.statSync(file);
    if (made.size !== now.size || made.mtimeMs !== now.mtimeMs) return undefined;
    cachedData = fs.readFileSync(file + '.cache');
  } catch {
    return undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const fn = script.runInThisContext();
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = m;
  return () => {
    fn.call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
    m.loaded = true;
  };
}

let run;
try {
  run = compiled();
} catch {
  run = undefined;
}
if (run) run();
else require(file);
