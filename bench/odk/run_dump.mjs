// Apply an answer script with ODK's own XForms engine (@getodk/xforms-engine) and dump, for
// every leaf node, its relevance and value: the expected values Waymark's differential tests
// compare against. Extends shared/anchors/odk/run_answers.mjs (same loading and answering).
// usage: node run_dump.mjs FORM.xml ANSWERS.json [LANGUAGE_CODE] > expected.json
// Names inside repeats are written name[i] (1-based, outermost first), as `waymark
// questionnaire run` writes them. Answers go to the next occurrence of a name in document
// order after the previous answer, as a person moving forward would; non-relevant ones skip.
import { createRequire } from 'node:module';
globalThis.require = createRequire(import.meta.url);
globalThis.__dirname = new URL('./node_modules/@getodk/xforms-engine/dist/', import.meta.url).pathname;
import { JSDOM } from 'jsdom'; import { readFileSync } from 'node:fs';
const dom = new JSDOM(''); globalThis.document = dom.window.document;
for (const k of ['DOMParser','XMLSerializer','Node','Element','XPathResult','XMLDocument','Document']) globalThis[k] ??= dom.window[k];
const { loadForm } = await import('@getodk/xforms-engine');
const [formPath, answersPath, langCode] = process.argv.slice(2);
const xml = readFileSync(formPath, 'utf8');
const answers = JSON.parse(readFileSync(answersPath, 'utf8'));
const form = await loadForm(xml, { fetchFormAttachment: async () => new Response('', { status: 404 }), missingResourceBehavior: 'BLANK' });
const inst = form.createInstance();
if (langCode) {
  const lang = inst.root.languages.find((l) => l.language.endsWith(`(${langCode})`) || l.language === langCode);
  if (lang) inst.root.setLanguage(lang);
}
const label = (ref) => ref.split('/').slice(2).map((seg) => {
  const m = seg.match(/^(.*)\[(\d+)\]$/); return m ? [m[1], Number(m[2])] : [seg, null];
});
const leafName = (ref) => {
  const parts = label(ref); const idx = parts.filter(([, i]) => i !== null).map(([, i]) => `[${i}]`).join('');
  return parts[parts.length - 1][0] + idx;
};
const leaves = () => {
  const out = [];
  const walk = (n) => {
    const kids = n.currentState.children;
    if (kids && kids.length !== undefined && !['select', 'input', 'note', 'model-value', 'trigger', 'range', 'rank', 'upload'].includes(n.nodeType)) {
      for (const c of kids) walk(c);
    } else if (n.nodeType !== 'root') out.push(n);
  };
  walk(inst.root);
  return out;
};
let cursor = -1; let applied = 0; let skipped = 0; const problems = [];
for (const a of answers) {
  const all = leaves();
  const matches = []; all.forEach((n, i) => { if (n.currentState.reference.split('/').pop().replace(/\[\d+\]$/, '') === a.name) matches.push(i); });
  if (!matches.length) { problems.push(`no node ${a.name}`); continue; }
  const target = matches.find((i) => i > cursor) ?? matches[0];
  cursor = target;
  const node = all[target];
  if (!node.currentState.relevant) { skipped++; continue; }
  try {
    if (node.nodeType === 'trigger') node.setValue(a.value === 'OK' || a.value === true);
    else if (node.nodeType === 'select') { Array.isArray(a.value) ? node.selectValues(a.value.map(String)) : node.selectValue(String(a.value)); }
    else if (typeof node.setValue === 'function') node.setValue(typeof a.value === 'number' ? a.value : String(a.value));
    else { problems.push(`read-only ${a.name}`); continue; }
    applied++;
  } catch (e) { problems.push(`${a.name}: ${e.message}`); }
}
const questions = {};
for (const n of leaves()) {
  const name = leafName(n.currentState.reference);
  const v = n.currentState.value;
  let value = v;
  if (Array.isArray(v)) value = v.map((x) => (typeof x === 'object' && x !== null ? x.value : x)).join(' ');
  else if (v !== null && typeof v === 'object') value = v.value ?? (v.toString ? v.toString() : String(v));
  else if (v === null || v === undefined) value = '';
  else value = String(v);
  questions[name] = { relevant: n.currentState.relevant, value: n.currentState.relevant ? value : '', type: n.nodeType };
}
console.log(JSON.stringify({ engine: 'odk-xforms-engine-0.22.0', applied, skipped, problems, questions }, null, 1));
