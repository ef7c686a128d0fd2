#!/usr/bin/env node
// Renders many formulas with KaTeX in one process, for tests/realtools.py.
//
// stdin:  {"options": {"strict": "error"|"warn"|"ignore"}, "formulas": [{"tex": "...", "display": true}]}
// stdout: [{"ok": bool, "error": string, "html": string, "warnings": [string]}] in the same order.
//
// One bad formula never stops the batch: each is rendered on its own and its error reported.
// `require('katex')` resolves from this file's directory upwards, i.e. the repository's node_modules.
'use strict';

const katex = require('katex');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function render(tex, display, strictMode) {
  const warnings = [];
  // 'warn' would print to stderr; collect the messages instead so the test can show them.
  const strict =
    strictMode === 'warn'
      ? (code, message) => {
          warnings.push(`${message} [${code}]`);
          return 'ignore';
        }
      : strictMode;
  try {
    const html = katex.renderToString(tex, {
      displayMode: display,
      throwOnError: true,
      strict,
      trust: false,
      // KaTeX's default, pinned here because realtools.py looks for it in the output.
      errorColor: '#cc0000',
    });
    return { ok: true, error: '', html, warnings };
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    return { ok: false, error: message, html: '', warnings };
  }
}

async function main() {
  const request = JSON.parse(await readStdin());
  const strictMode = (request.options && request.options.strict) || 'error';
  const results = (request.formulas || []).map((f) => render(String(f.tex), Boolean(f.display), strictMode));
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  process.stderr.write(`katex_render.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
