// timeline.js - the timeline document as a bar chart (#timeline): one bar
// per bucket over the task's range; dragging across bars (or Enter on
// one) narrows the time range to those buckets.

import {$, clear, svg, fmtCount} from "./dom.js";

const W = 1000, H = 80;
let onRange = () => {};

// init(range): range(startIso, endIso) is called with the chosen buckets' bounds.
export function init(range) {
	onRange = range;
}

// show(timeline, field, rangeEnd): draws the timeline document (null:
// none); field is the task's dtFieldName (the key of each bucket's start),
// rangeEnd the end of the task's range (the end of the last bucket).
export function show(timeline, field, rangeEnd) {
	const el = clear($("timeline"));
	const info = $("timeline-info");
	$("timeline-wrap").hidden = !timeline;
	if (!timeline) {
		info.textContent = "";
		$("timeline-range").textContent = "";
		return;
	}
	const b = timeline.fields;
	const max = Math.max(1, ...b.map((x) => x.count));
	const bw = W / Math.max(1, b.length);
	el.setAttribute("viewBox", `0 0 ${W} ${H}`);
	el.setAttribute("preserveAspectRatio", "none");
	const starts = b.map((x) => x[field]);
	const endOf = (i) => (i + 1 < b.length ? starts[i + 1] : rangeEnd);
	let down = -1;
	const select = (i, j) => {
		const lo = Math.min(i, j), hi = Math.max(i, j);
		onRange(starts[lo], endOf(hi));
	};
	const sel = svg("rect", {class: "selection", x: 0, y: 0, width: 0, height: H});
	b.forEach((x, i) => {
		const hgt = x.count ? Math.max(2, (H - 4) * x.count / max) : 0;
		// A full-height transparent hit area, so empty buckets can be dragged over.
		const g = svg("g", {class: "bucket"});
		g.append(svg("rect", {class: "hit", x: i * bw, y: 0, width: bw, height: H}));
		const bar = svg("rect", {class: "bar", x: i * bw + bw * 0.1, y: H - hgt, width: bw * 0.8, height: hgt,
			"data-start": starts[i], "data-end": endOf(i), "data-count": String(x.count), tabindex: "0",
			role: "button", "aria-label": `${starts[i]}: ${x.count} events`});
		const title = svg("title", {});
		title.textContent = `${starts[i]}: ${fmtCount(x.count)}`;
		bar.append(title);
		g.append(bar);
		g.addEventListener("mousedown", (e) => {
			e.preventDefault();
			down = i;
			drawSel(sel, i, i, bw);
		});
		g.addEventListener("mouseenter", () => {
			if (down >= 0)
				drawSel(sel, down, i, bw);
		});
		g.addEventListener("mouseup", () => {
			if (down >= 0) {
				const from = down;
				down = -1;
				select(from, i);
			}
		});
		bar.addEventListener("keydown", (e) => {
			if (e.key === "Enter") {
				e.preventDefault();
				select(i, i);
			}
		});
		el.append(g);
	});
	el.append(sel);
	el.onmouseleave = () => {
		down = -1;
		drawSel(sel, 0, -1, bw);
	};
	const total = b.reduce((s, x) => s + x.count, 0);
	const when = (iso) => String(iso).replace("T", " ").replace(/:\d\d\.\d+Z$|\.\d+Z$/, "").replace(/Z$/, "");
	info.textContent = `interval ${timeline.interval}, ${b.length} buckets`;
	$("timeline-range").textContent = `${fmtCount(total)} events` +
		(b.length ? `, ${when(starts[0])} to ${when(rangeEnd)} UTC` : "");
}

// drawSel(sel, i, j, bw): shows buckets i..j as selected (none when j < 0).
function drawSel(sel, i, j, bw) {
	if (j < 0) {
		sel.setAttribute("width", 0);
		return;
	}
	const lo = Math.min(i, j), hi = Math.max(i, j);
	sel.setAttribute("x", lo * bw);
	sel.setAttribute("width", (hi - lo + 1) * bw);
}
