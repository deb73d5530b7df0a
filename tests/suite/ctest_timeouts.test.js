// Every ctest test carries a TIMEOUT: a regression that hangs then fails with the test's name
// instead of stalling the run. Reads the registered tests (with their properties) from
// `ctest --show-only=json-v1` in the build directory this check is registered in.
//   CTEST_COMMAND=<ctest> SB_BUILD_DIR=<build dir> node --test tests/suite/ctest_timeouts.test.js
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

test('every registered ctest test has a TIMEOUT', () => {
  const ctest = process.env.CTEST_COMMAND;
  const dir = process.env.SB_BUILD_DIR;
  assert.ok(ctest && dir, 'CTEST_COMMAND and SB_BUILD_DIR must be set (tests/suite/CMakeLists.txt does)');
  const listing = JSON.parse(execFileSync(ctest, ['--test-dir', dir, '--show-only=json-v1'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  assert.ok(listing.tests.length > 0, 'ctest lists no tests');
  // gtest_discover_tests stands in a <target>_NOT_BUILT test for a binary not built yet (a
  // partial build); it fails on its own and is replaced by the real tests once built.
  const without = listing.tests
    .filter((t) => !t.name.endsWith('_NOT_BUILT'))
    .filter((t) => !(t.properties || []).some((p) => p.name === 'TIMEOUT' && p.value > 0))
    .map((t) => t.name);
  assert.deepEqual(without, [], `tests without a TIMEOUT (set one beside their add_test): ${without.join(', ')}`);
});
