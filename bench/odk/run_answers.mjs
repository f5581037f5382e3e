// Time ODK's own XForms engine on an XForm and an answer script, as
// shared/anchors/odk/run_answers.mjs does (load+instantiate, then each answer in order, reading
// the next question's relevance after each), with three changes so real forms run: missing
// form attachments load blank, an answer goes to the next occurrence of its name after the
// previous answer (repeat instances in order), and acknowledge (trigger) questions take true.
// Finding the node to answer is not timed. usage: node run_answers.mjs FORM.xml ANSWERS.json [runs]
import { createRequire } from 'node:module';
globalThis.require = createRequire(import.meta.url);
globalThis.__dirname = new URL('./node_modules/@getodk/xforms-engine/dist/', import.meta.url).pathname;
import { JSDOM } from 'jsdom'; import { readFileSync } from 'node:fs';
const dom = new JSDOM(''); globalThis.document = dom.window.document;
for (const k of ['DOMParser','XMLSerializer','Node','Element','XPathResult','XMLDocument','Document']) globalThis[k] ??= dom.window[k];
const { loadForm } = await import('@getodk/xforms-engine');
const [formPath, answersPath, repeatsArg] = process.argv.slice(2);
const xml = readFileSync(formPath, 'utf8');
const answers = JSON.parse(readFileSync(answersPath, 'utf8'));
const repeats = Number(repeatsArg ?? 3);
const LEAF = ['select', 'input', 'note', 'model-value', 'trigger', 'range', 'rank', 'upload'];
const results = [];
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  const form = await loadForm(xml, { fetchFormAttachment: async () => new Response('', { status: 404 }), missingResourceBehavior: 'BLANK' });
  const inst = form.createInstance();
  const t1 = performance.now();
  let leaves = null;
  const collect = () => { const out = []; const walk = (n) => { const k = n.currentState.children; if (k && !LEAF.includes(n.nodeType)) { for (const c of k) walk(c); } else if (n.nodeType !== 'root') out.push(n); }; walk(inst.root); return out; };
  const nameOf = (n) => n.currentState.reference.split('/').pop().replace(/\[\d+\]$/, '');
  const per = [];
  let answered = 0, skipped = 0, cursor = -1;
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i];
    leaves = collect();
    const idx = leaves.findIndex((n, j) => j > cursor && nameOf(n) === a.name);
    const target = idx >= 0 ? idx : leaves.findIndex((n) => nameOf(n) === a.name);
    cursor = target;
    const node = leaves[target];
    const nextName = answers[i + 1]?.name;
    const s = performance.now();
    if (!node.currentState.relevant) { skipped++; continue; }
    if (node.nodeType === 'trigger') node.setValue(a.value === 'OK' || a.value === true);
    else if (node.nodeType === 'select') { Array.isArray(a.value) ? node.selectValues(a.value.map(String)) : node.selectValue(String(a.value)); }
    else node.setValue(typeof a.value === 'number' ? a.value : String(a.value));
    const e = performance.now();
    // the next question's relevance, found untimed, read timed
    let next = null;
    if (nextName) { const all = collect(); next = all.find((n, j) => j > target && nameOf(n) === nextName) ?? all.find((n) => nameOf(n) === nextName); }
    const s2 = performance.now();
    if (next) void next.currentState.relevant;
    per.push(e - s + (performance.now() - s2)); answered++;
  }
  per.sort((x, y) => x - y);
  const q = (p) => per[Math.min(per.length - 1, Math.floor(p * per.length))];
  results.push({ load_ms: t1 - t0, answered, skipped, total_answer_ms: per.reduce((x, y) => x + y, 0), median_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99) });
}
console.log(JSON.stringify({ engine: 'odk-xforms-engine-0.22.0', form: formPath, runs: results }, null, 1));
