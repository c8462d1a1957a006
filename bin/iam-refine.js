#!/usr/bin/env node
'use strict';
// dist/cli.js, compiled from the V8 code cache made by the build (dist/cli.js.cache, see
// scripts/code-cache.mjs): about 10 ms of every command's start-up. The cache is offered to V8 only
// for the file it was made from (its build id and size, in dist/cli.js.cache.json); V8 itself
// rejects one made by another version of V8, and the file is then compiled as usual. Anything
// wrong before the CLI runs (no cache, another build's) is a plain require.
const path = require('node:path');
const file = path.join(__dirname, '..', 'dist', 'cli.js');

function compiled() {
  const fs = require('node:fs');
  let cachedData;
  let source;
  try {
    // V8 checks a cache's version, flags and the source's length, not its text: the cache is used
    // only for the very file it was made from (its size and the build id it starts with, written
    // beside it; every build makes a new id)
    const made = JSON.parse(fs.readFileSync(file + '.cache.json', 'utf8'));
    source = fs.readFileSync(file, 'utf8');
    if (typeof made.build !== 'string' || !made.build || made.size !== fs.statSync(file).size || !source.startsWith(`/* iam-refine build ${made.build} */`)) return undefined;
    cachedData = fs.readFileSync(file + '.cache');
  } catch {
    return undefined;
  }
  return require('./cli-module.js').compileCli(file, source, cachedData, module).run;
}

let run;
try {
  run = compiled();
} catch {
  run = undefined;
}
if (run) run();
else require(file);
