// Small bar charts drawn as inline SVG, no library: stacked bars (one colour
// per series) and, with one series, a histogram. A chart is drawn at the width
// its box has and drawn again when that changes, so its text stays the same
// size on a desk screen and on a phone. Right to left, the category axis runs
// from the right (the earliest month at the right edge) and the value axis
// stands on the right. The SVG is role="img" with an aria-label that sums it
// up; each bar segment carries a <title> with its figures and data-* with
// its raw values, and the page puts the figures beside it as a table.
'use strict';
(function (D) {
  const NS = 'http://www.w3.org/2000/svg';
  // Colours with at least 4.5:1 contrast on white (the bars are also told
  // apart by the white seams between segments, the legend and the table).
  const PALETTE = ['#0b57a4', '#c2410c', '#0b6630', '#7e22ce', '#be185d', '#0e7490', '#6b4700', '#4b5560', '#1e3a8a', '#9a3412'];
  const GRID = '#d5dbe1';
  const AXIS = '#4b5560';
  const TEXT = '#1b1f24';
  const FONT = 13;

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // A round top for the value axis and its step: 0, step, 2 step, ... ≥ max.
  // integer: the values are counts, so the step is whole.
  function scale(max, ticks = 4, integer = false) {
    if (!(max > 0)) return { top: 1, step: 1 };
    const raw = max / ticks;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
    let step = steps.map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9));
    if (integer) step = Math.max(1, step);
    return { top: Math.ceil(max / step - 1e-9) * step, step };
  }

  // A rough width of a label in px, for margins and thinning labels out.
  const textWidth = (s, size = FONT) => String(s).length * size * 0.6;

  // Draws the chart as an <svg> of the given width.
  // spec: {categories: [{key, label, sub?}], series: [{key, label, color}],
  //   value(categoryKey, seriesKey) → number, format(v) → text, label (the
  //   aria-label), xTitle, yTitle, title(category, series, v) → tooltip,
  //   data(category, series, v) → {data-* attributes}, integer: counts}
  function bars(spec, width) {
    const rtl = D.i18n.dir() === 'rtl';
    const cats = spec.categories;
    const totals = cats.map((c) => spec.series.reduce((a, s) => a + (spec.value(c.key, s.key) || 0), 0));
    const { top, step } = scale(Math.max(0, ...totals), 4, spec.integer);
    const ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toFixed(6)));
    const W = Math.max(200, Math.round(width));
    const H = Math.round(Math.min(340, Math.max(220, W * 0.45)));
    const start = 22 + Math.max(...ticks.map((v) => textWidth(spec.format(v)))) + 8;
    const end = 12;
    const topPad = 22;
    const hasSub = cats.some((c) => c.sub);
    const bottom = 22 + (hasSub ? 16 : 0) + 22;
    const plotW = W - start - end;
    const plotH = H - topPad - bottom;
    const band = plotW / Math.max(1, cats.length);
    const barW = Math.min(band * 0.72, 64);
    // Left-to-right x of a box of width w whose start edge is at x (from the start side).
    const X = (x, w = 0) => (rtl ? W - x - w : x);
    const Y = (v) => topPad + plotH - (v / top) * plotH;
    // Category labels: smaller on a narrow chart, then only every n-th when they still do not fit.
    const widest = (size) => Math.max(...cats.map((c) => textWidth(c.label, size))) + 8;
    const labelSize = widest(FONT) > band ? 11 : FONT;
    const every = Math.max(1, Math.ceil(widest(labelSize) / band));

    const grid = ticks.map((v) => svg('g', {},
      svg('line', { x1: X(start), x2: X(W - end), y1: Y(v), y2: Y(v), stroke: v ? GRID : AXIS, 'stroke-width': 1 }),
      svg('text', { x: rtl ? W - start + 6 : start - 6, y: Y(v), 'text-anchor': rtl ? 'start' : 'end',
        'dominant-baseline': 'middle', fill: TEXT, 'font-size': FONT }, spec.format(v))));
    const columns = cats.map((c, i) => {
      const x0 = start + i * band + (band - barW) / 2;
      let cum = 0;
      const segments = [];
      for (const s of spec.series) {
        const v = spec.value(c.key, s.key) || 0;
        if (v <= 0) continue;
        const y1 = Y(cum + v);
        const hgt = (v / top) * plotH;
        segments.push(svg('rect', { class: 'bar', x: X(x0, barW), y: y1, width: barW, height: hgt, fill: s.color,
          stroke: '#ffffff', 'stroke-width': spec.series.length > 1 ? 1 : 0, ...spec.data(c, s, v) },
        svg('title', {}, spec.title(c, s, v))));
        cum += v;
      }
      const mid = X(x0 + barW / 2);
      const showLabel = i % every === 0;
      return svg('g', { class: 'column', 'data-category': c.key }, segments,
        totals[i] > 0 && band >= textWidth(spec.format(totals[i]), 12) + 4
          ? svg('text', { x: mid, y: Y(totals[i]) - 5, 'text-anchor': 'middle', fill: TEXT, 'font-size': 12 }, spec.format(totals[i]))
          : null,
        showLabel ? svg('text', { x: mid, y: topPad + plotH + 16, 'text-anchor': 'middle', fill: TEXT, 'font-size': labelSize }, c.label) : null,
        showLabel && c.sub ? svg('text', { x: mid, y: topPad + plotH + 31, 'text-anchor': 'middle', fill: AXIS, 'font-size': 12 }, c.sub) : null);
    });
    // Rotated, the title's letters stand on its baseline's far side from the plot: keep them inside.
    const yTitleX = rtl ? W - 16 : 14;
    return svg('svg', { xmlns: NS, width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.label,
      class: 'chart-svg', 'font-family': 'inherit', direction: 'ltr' },
    grid, columns,
    svg('text', { x: yTitleX, y: topPad + plotH / 2, 'text-anchor': 'middle', fill: TEXT, 'font-size': FONT,
      transform: `rotate(${rtl ? 90 : -90} ${yTitleX} ${topPad + plotH / 2})` }, spec.yTitle),
    svg('text', { x: X(start + plotW / 2), y: H - 6, 'text-anchor': 'middle', fill: TEXT, 'font-size': FONT }, spec.xTitle));
  }

  // A box that holds one chart and draws it again at its new width when it
  // is resized (or first shown: a hidden tab has no width).
  function Chart(className) {
    const el = D.dom.h('div', { class: `chart ${className || ''}` });
    let spec = null;
    let drawn = 0;
    const draw = () => {
      const w = el.clientWidth;
      if (!spec || !w) return;
      drawn = w;
      D.dom.fill(el, bars(spec, w));
    };
    new ResizeObserver(() => { if (el.clientWidth !== drawn) draw(); }).observe(el);
    return {
      el,
      set(s) {
        spec = s;
        if (!s) {
          el.replaceChildren();
          drawn = 0;
        } else draw();
      },
    };
  }

  // The colour of a series: the interpreted languages keep theirs in every
  // period; anything else takes the next free one.
  function colours(keys, fixed = []) {
    const out = {};
    const used = new Set();
    for (const k of keys) {
      const i = fixed.indexOf(k);
      if (i >= 0 && i < PALETTE.length) {
        out[k] = PALETTE[i];
        used.add(PALETTE[i]);
      }
    }
    const free = PALETTE.filter((c) => !used.has(c));
    let n = 0;
    for (const k of keys) if (!out[k]) out[k] = free.length ? free[n++ % free.length] : PALETTE[n++ % PALETTE.length];
    return out;
  }

  D.charts = { Chart, bars, scale, colours, PALETTE };
})(window.Dragoman = window.Dragoman || {});
