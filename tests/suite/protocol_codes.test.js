// The catalogue check: every code docs/protocol.md documents appears in some test, so a code
// that nothing asserts (and so nothing makes the server send) fails here, by name.
//
// What counts as a documented code (read from docs/protocol.md):
//   - HTTP statuses: the first cell of the handshake table (`| 400 | ...`), the statuses an
//     answer cell of the server API table starts with (`200 {...}`), bold numbers (`**401**`)
//     and statuses named as "HTTP 429" in the text;
//   - close codes: the first cell of the close-code tables (`| 4008 | ...`) and bold
//     four-digit numbers (`**4001**`);
//   - error codes: every backticked name in the first cell of the `error code` table;
//   - auth.error codes: the backticked names of the "`auth.error` codes:" paragraph.
// What counts as tested (a deliberately simple rule, a heuristic: it finds codes no test
// mentions; it cannot prove the server sends them):
//   - a name, when it appears quoted ('x', "x" or `x`) in a test file;
//   - a number, when it appears as a number of its own (not inside a longer number, a decimal
//     or a name) on a line of a test file that also says what it is checking: one of the
//     words assert, expect, status, code or close.
// Test files: *.js, *.py, *.cpp and *.hpp under tests/ except tests/suite/ (this check) and
// tests/fuzz/ (corpora).
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'protocol.md');
const TESTS = path.join(ROOT, 'tests');
const SKIPPED_DIRS = new Set([path.join(TESTS, 'suite'), path.join(TESTS, 'fuzz')]);
const TEST_FILE = /\.(js|py|cpp|hpp)$/;

// ---------------------------------------------------------------------------------------------
// The documented codes

// Every Markdown table of the doc: { header: [cells], rows: [[cells]] }.
function tables(lines) {
  const found = [];
  let current = null;
  for (const line of lines) {
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    const cells = line.replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
    if (current === null) {
      current = { header: cells.map((c) => c.toLowerCase()), rows: [] };
      found.push(current);
    } else if (!/^-+$/.test(cells[0])) {
      current.rows.push(cells);
    }
  }
  return found;
}

const backticked = (text) => [...text.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);

function documentedCodes(text) {
  const lines = text.split('\n');
  const codes = { status: new Set(), close: new Set(), error: new Set(), auth: new Set() };
  for (const table of tables(lines)) {
    const first = table.header[0];
    const answer = table.header.indexOf('answer');
    for (const row of table.rows) {
      if (first === 'status' && /^\d{3}$/.test(row[0])) codes.status.add(row[0]);
      if (first === 'code' && /^\d{4}$/.test(row[0])) codes.close.add(row[0]);
      if (first === 'error code') backticked(row[0]).forEach((c) => codes.error.add(c));
      if (answer >= 0) {
        for (const m of (row[answer] || '').matchAll(/`([1-5]\d\d)\b/g)) codes.status.add(m[1]);
      }
    }
  }
  for (const m of text.matchAll(/\*\*(\d{3,4})\*\*/g)) {
    (m[1].length === 3 ? codes.status : codes.close).add(m[1]);
  }
  for (const m of text.matchAll(/\bHTTP (\d{3})\b/g)) codes.status.add(m[1]);
  // "`auth.error` codes: `a`, `b`, ..." up to the end of its paragraph.
  const at = text.indexOf('`auth.error` codes:');
  assert.ok(at >= 0, 'docs/protocol.md lost its "`auth.error` codes:" paragraph');
  const paragraph = text.slice(at + '`auth.error` codes:'.length).split('\n\n')[0];
  backticked(paragraph).forEach((c) => codes.auth.add(c));
  return codes;
}

// ---------------------------------------------------------------------------------------------
// The test files

function testFiles(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(full)) testFiles(full, out);
    } else if (TEST_FILE.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

const CHECKING = /assert|expect|status|code|close/i;

function isTestedName(name, sources) {
  const quoted = new RegExp(`['"\`]${name}['"\`]`);
  return sources.some(({ text }) => quoted.test(text));
}

function isTestedNumber(number, sources) {
  const alone = new RegExp(`(?<![\\w.])${number}(?![\\w.])`);
  return sources.some(({ lines }) => lines.some((line) => alone.test(line) && CHECKING.test(line)));
}

// ---------------------------------------------------------------------------------------------

const docText = fs.readFileSync(DOC, 'utf8');
const codes = documentedCodes(docText);
const sources = testFiles(TESTS).map((file) => {
  const text = fs.readFileSync(file, 'utf8');
  return { file, text, lines: text.split('\n') };
});

test('docs/protocol.md is read: it documents codes of every kind', () => {
  // Guards against a restructured doc silently leaving nothing to check. The numbers are
  // lower bounds of what the doc holds today.
  assert.ok(codes.status.size >= 10, `HTTP statuses: ${[...codes.status]}`);
  assert.ok(codes.close.size >= 12, `close codes: ${[...codes.close]}`);
  assert.ok(codes.error.size >= 15, `error codes: ${[...codes.error]}`);
  assert.ok(codes.auth.size >= 10, `auth.error codes: ${[...codes.auth]}`);
  assert.ok(sources.length >= 20, `test files: ${sources.length}`);
});

const KINDS = [
  ['HTTP status', 'HTTP statuses', codes.status, isTestedNumber],
  ['close code', 'close codes', codes.close, isTestedNumber],
  ['error code', 'error codes', codes.error, isTestedName],
  ['auth.error code', 'auth.error codes', codes.auth, isTestedName],
];

for (const [kind, kinds, documented, isTested] of KINDS) {
  test(`every ${kind} of docs/protocol.md is asserted by a test`, () => {
    const untested = [...documented].filter((code) => !isTested(code, sources));
    assert.deepEqual(untested, [],
      `${kinds} documented in docs/protocol.md that no test under tests/ asserts: ${untested.join(', ')} ` +
      '(write a test that makes the server send it; the rule is at the top of this file)');
  });
}

test('the rule itself: a name must be quoted, a number must stand alone on a checking line', () => {
  const fake = (text) => [{ file: 'fake', text, lines: text.split('\n') }];
  assert.equal(isTestedName('bad_json', fake("assert.equal(code, 'bad_json');")), true);
  assert.equal(isTestedName('bad_json', fake('// bad_json is not tested here')), false);
  assert.equal(isTestedName('expired', fake("expectRejected(t, 'token_expired')")), false);
  assert.equal(isTestedNumber('4008', fake('EXPECT_EQ(frame->close_code(), 4008);')), true);
  assert.equal(isTestedNumber('4008', fake('const n = 14008; assert.ok(n)')), false);
  assert.equal(isTestedNumber('400', fake('await delay(400);')), false);
  assert.equal(isTestedNumber('431', fake('{ status: 431, result: "too_large" }')), true);
});
