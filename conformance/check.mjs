// HCL conformance oracle: runs Infradesk's rendered Terraform through HashiCorp's own HCL
// parser (@cdktf/hcl2json) and formatter (@cdktf/hcl-tools, hclwrite.Format = terraform fmt),
// both Go compiled to wasm, in one long-lived node process.
//
// Usage: node check.mjs <dir>   (or CONFORMANCE_DIR=<dir> node check.mjs)
//
// <dir> holds pairs written by `cargo test -p domain --test render_conformance -- --ignored`:
//   <case>.tf    the rendered file
//   <case>.json  {"label": "<module block label>", "attributes": {<name>: <expected value>}}
// A case passes when the file parses, holds exactly one `module "<label>"` block whose
// attributes are exactly the expected ones with equal values, no string contains a live
// interpolation or directive, and format(text) === text.
//
// hcl2json returns literal strings with template markers re-escaped (`${` comes back as `$${`,
// `%{` as `%%{`), and a real interpolation as `${…}`. So strings are unescaped here, and an
// unescaped `${` or `%{` is reported as an injection. Terraform (cty) normalizes every string
// to Unicode NFC, so expected strings are compared after NFC too (and counted).

import { parse } from '@cdktf/hcl2json';
import { format } from '@cdktf/hcl-tools';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.argv[2] ?? process.env.CONFORMANCE_DIR;
if (!dir) {
  console.error('usage: node check.mjs <dir with .tf and .json pairs>');
  process.exit(2);
}

/** Undoes hcl2json's marker re-escaping; reports a live `${`/`%{` as an injection. */
function unescapeMarkers(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
      out += c + '{';
      i += 2;
    } else if ((c === '$' || c === '%') && text[i + 1] === '{') {
      return { injection: `unescaped ${c}{ at offset ${i} in ${JSON.stringify(text)}` };
    } else {
      out += c;
    }
  }
  return { text: out };
}

let nfcChanged = 0;

function compareString(actual, expected, path, errors) {
  if (typeof actual !== 'string') {
    errors.push(`${path}: expected a string, got ${JSON.stringify(actual)}`);
    return;
  }
  const r = unescapeMarkers(actual);
  if (r.injection) {
    errors.push(`${path}: INJECTION: ${r.injection}`);
    return;
  }
  const want = expected.normalize('NFC');
  if (want !== expected) nfcChanged++;
  if (r.text !== want) errors.push(`${path}: ${JSON.stringify(r.text)} !== ${JSON.stringify(want)}`);
}

function compare(actual, expected, path, errors) {
  if (expected === null || typeof expected === 'boolean' || typeof expected === 'number') {
    if (actual !== expected) errors.push(`${path}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
  } else if (typeof expected === 'string') {
    compareString(actual, expected, path, errors);
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      errors.push(`${path}: expected a list of ${expected.length}, got ${JSON.stringify(actual)}`);
      return;
    }
    expected.forEach((item, i) => compare(actual[i], item, `${path}[${i}]`, errors));
  } else {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      errors.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    const byKey = new Map();
    for (const [key, value] of Object.entries(actual)) {
      const r = unescapeMarkers(key);
      if (r.injection) {
        errors.push(`${path}: INJECTION in key: ${r.injection}`);
        return;
      }
      byKey.set(r.text, value);
    }
    const wantKeys = new Map(Object.keys(expected).map((k) => [k.normalize('NFC'), k]));
    for (const key of byKey.keys()) {
      if (!wantKeys.has(key)) errors.push(`${path}: unexpected key ${JSON.stringify(key)}`);
    }
    for (const [nfcKey, key] of wantKeys) {
      if (!byKey.has(nfcKey)) errors.push(`${path}: missing key ${JSON.stringify(key)}`);
      else compare(byKey.get(nfcKey), expected[key], `${path}[${JSON.stringify(key)}]`, errors);
    }
  }
}

async function checkCase(name, text, expected) {
  const errors = [];
  let parsed;
  try {
    parsed = await parse(`${name}.tf`, text);
  } catch (e) {
    return [`does not parse: ${String(e).slice(0, 300)}`];
  }
  const top = Object.keys(parsed);
  const blocks = parsed.module?.[expected.label];
  if (top.length !== 1 || top[0] !== 'module' || Object.keys(parsed.module).length !== 1) {
    errors.push(`expected only module "${expected.label}", got ${JSON.stringify(parsed).slice(0, 300)}`);
  } else if (!Array.isArray(blocks) || blocks.length !== 1) {
    errors.push(`expected one module "${expected.label}" block, got ${JSON.stringify(parsed.module).slice(0, 300)}`);
  } else {
    compare(blocks[0], expected.attributes, 'module', errors);
  }
  const formatted = await format(text);
  if (formatted !== text) {
    const a = text.split('\n');
    const b = formatted.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    errors.push(`terraform fmt changes line ${line + 1}: ${JSON.stringify(a[line])} -> ${JSON.stringify(b[line])}`);
  }
  return errors;
}

const started = Date.now();
const files = (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort();
let passed = 0;
let failed = 0;
for (const file of files) {
  const name = file.slice(0, -'.tf'.length);
  let errors;
  try {
    const text = await readFile(join(dir, file), 'utf8');
    const expected = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8'));
    errors = await checkCase(name, text, expected);
  } catch (e) {
    errors = [`cannot check: ${e}`];
  }
  if (errors.length === 0) {
    passed++;
  } else {
    failed++;
    if (failed <= 20) console.log(`FAIL ${file}\n  ${errors.slice(0, 5).join('\n  ')}`);
  }
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`checked ${files.length} files in ${seconds}s; ${nfcChanged} expected strings differ only by NFC normalization`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
