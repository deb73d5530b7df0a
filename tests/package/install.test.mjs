// The library as its users install it: `cmake --install` of this build into a scratch prefix,
// then examples/chat built out of tree against what was installed — once with CMake's
// find_package(switchboard), once with pkg-config — and each binary passes the example's own
// end-to-end test (tests/e2e/example_chat.test.js). SB_BUILD_DIR names the build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, run, scratch } from './package_support.mjs';

const build = process.env.SB_BUILD_DIR;
let work;
let prefix;

before(() => {
  assert.ok(build, 'SB_BUILD_DIR must name the build directory');
  work = scratch('sb-install-');
  prefix = path.join(work, 'prefix');
  run('cmake', ['--install', build, '--prefix', prefix]);
});

after(() => work && fs.rmSync(work, { recursive: true, force: true }));

// Passes when the example's e2e test passes against `binary`.
function exampleTestPasses(binary) {
  run(process.execPath, ['--test', path.join(root, 'tests', 'e2e', 'example_chat.test.js')],
      { env: { ...process.env, EXAMPLE_CHAT_BIN: binary } });
}

test('the prefix holds the server, its pages, one archive, the headers, the CMake and pkg-config files', () => {
  const lib = fs.readdirSync(prefix).includes('lib') ? 'lib' : assert.fail('no lib/ under the prefix');
  for (const file of ['bin/switchboard', `${lib}/libswitchboard.a`, 'include/switchboard/gateway.hpp',
                      'include/switchboard/config/config.hpp', `${lib}/cmake/switchboard/switchboardConfig.cmake`,
                      `${lib}/cmake/switchboard/switchboardConfigVersion.cmake`, `${lib}/pkgconfig/switchboard.pc`,
                      'share/switchboard/web/demo/index.html', 'share/switchboard/web/dashboard/index.html',
                      'share/switchboard/web/sdk/switchboard.min.js', 'share/doc/switchboard/config.md']) {
    assert.ok(fs.existsSync(path.join(prefix, file)), `${file} is installed`);
  }
  // Nothing of the build or source tree leaks into the exported package's paths.
  const targets = fs.readFileSync(path.join(prefix, lib, 'cmake/switchboard/switchboardTargets.cmake'), 'utf8');
  assert.ok(!targets.includes(root), 'switchboardTargets.cmake names no path of the source tree');
  // The system files belong to the Debian package only: never written outside the prefix.
  assert.ok(!fs.existsSync(path.join(prefix, 'etc')) && !fs.existsSync(path.join(prefix, 'lib/systemd')));
});

test('find_package(switchboard): examples/chat builds out of tree and passes its e2e test', () => {
  const out = path.join(work, 'chat-cmake');
  run('cmake', ['-S', path.join(root, 'examples', 'chat'), '-B', out, `-DCMAKE_PREFIX_PATH=${prefix}`,
                '-DCMAKE_BUILD_TYPE=Release']);
  run('cmake', ['--build', out, '-j', '2']);
  exampleTestPasses(path.join(out, 'example_chat'));
});

// A consumer that can do without the library (QUIET, no REQUIRED) learns it is missing and goes
// on; one that REQUIRES it stops with the dependency named. The missing dependency is gRPC,
// switched off for the consumer's find_package only.
test('a missing dependency fails find_package(switchboard) the way the consumer asked', () => {
  const project = path.join(work, 'optional-consumer');
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'CMakeLists.txt'), [
    'cmake_minimum_required(VERSION 3.25)',
    'project(optional_consumer LANGUAGES CXX)',
    'find_package(switchboard ${HOW})',
    'message(STATUS "switchboard_FOUND=${switchboard_FOUND}")',
    'if(switchboard_FOUND)',
    '  get_target_property(deps switchboard::gateway INTERFACE_LINK_LIBRARIES)',
    '  message(STATUS "deps=${deps}")',
    'endif()',
  ].join('\n'));
  const configure = (how, extra = []) => run('cmake', ['-S', project, '-B', path.join(work, `optional-${how}`),
    `-DCMAKE_PREFIX_PATH=${prefix}`, `-DHOW=${how}`, ...extra]);
  const found = configure('QUIET');
  assert.match(found, /switchboard_FOUND=1/);
  assert.doesNotMatch(found, /CLI11/, 'the header-only command line parser is no dependency of users');
  const quiet = configure('QUIET', ['-DCMAKE_DISABLE_FIND_PACKAGE_gRPC=TRUE']);
  assert.match(quiet, /switchboard_FOUND=(0|FALSE)/, quiet);
  assert.throws(() => configure('REQUIRED', ['-DCMAKE_DISABLE_FIND_PACKAGE_gRPC=TRUE']), /gRPC/);
});

test('pkg-config: examples/chat builds with one c++ command and passes its e2e test', () => {
  const env = { ...process.env, PKG_CONFIG_PATH: path.join(prefix, 'lib', 'pkgconfig') };
  const flags = run('pkg-config', ['--cflags', '--libs', 'switchboard'], { env }).trim().split(/\s+/);
  assert.ok(flags.includes('-lswitchboard'), flags.join(' '));
  const binary = path.join(work, 'chat-pkgconfig');
  run('c++', ['-std=c++20', '-O1', path.join(root, 'examples', 'chat', 'main.cpp'), '-o', binary, ...flags]);
  exampleTestPasses(binary);
});
