// A small line diff (longest common subsequence, with the common head and tail trimmed first)
// and its rendering with context lines around the changes.

import { h } from './ui.js';

/** The lines of `a` and `b` as `[kind, text, lineA, lineB]`, kind ' ', '-' or '+'. */
export function lineDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const n = xs.length;
  const m = ys.length;
  // lengths[i][j]: the LCS of xs[i..] and ys[j..].
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i][j] = xs[i] === ys[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const out = x.slice(0, head).map((text, i) => [' ', text, i + 1, i + 1]);
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) {
      out.push([' ', xs[i], head + i + 1, head + j + 1]);
      i++;
      j++;
    } else if (i < n && (j === m || lengths[i + 1][j] >= lengths[i][j + 1])) {
      out.push(['-', xs[i], head + i + 1, null]);
      i++;
    } else {
      out.push(['+', ys[j], null, head + j + 1]);
      j++;
    }
  }
  x.slice(x.length - tail).forEach((text, k) => out.push([' ', text, x.length - tail + k + 1, y.length - tail + k + 1]));
  return out;
}

/** The diff as rows, unchanged runs longer than 2×`context` folded. */
export function diffView(a, b, context = 3) {
  const lines = lineDiff(a, b);
  const changed = lines.map((line) => line[0] !== ' ');
  const near = lines.map((_, index) => changed.slice(Math.max(0, index - context), index + context + 1).some(Boolean));
  const rows = [];
  let folded = 0;
  const flush = () => {
    if (folded) rows.push(h('div.gap', `… ${folded} unchanged line${folded === 1 ? '' : 's'}`));
    folded = 0;
  };
  lines.forEach(([kind, text, left, right], index) => {
    if (!near[index]) {
      folded++;
      return;
    }
    flush();
    const cls = kind === '+' ? 'add' : kind === '-' ? 'del' : '';
    rows.push(h('div.ln', { class: cls }, h('span.no', left ?? ''), h('span.no', right ?? ''), h('span', kind), h('span', text)));
  });
  flush();
  const added = lines.filter((line) => line[0] === '+').length;
  const removed = lines.filter((line) => line[0] === '-').length;
  return { element: h('div.diff', rows.length ? rows : h('div.gap', 'The two versions are the same.')), added, removed };
}
