// cost.js - the execution cost panel (#cost): per command its time and
// events in and out, the time also as a bar.

import {$, h, clear, fmtCount} from "./dom.js";

// bar(share): a div.bar as wide as share (0..1) of its cell. Set through
// the CSSOM: the page's Content-Security-Policy allows no style attributes.
function bar(share) {
	const d = h("div", {class: "bar"});
	d.style.width = `${(100 * share).toFixed(1)}%`;
	return d;
}

// show(cost, level): renders the executionCost document; level is the
// task's calculateExecutionCost (OFF: the cost was not asked for).
export function show(cost, level) {
	const table = clear($("cost"));
	const total = $("cost-total");
	if (!cost) {
		total.textContent = level === "OFF" || !level ? "not requested (choose INFO or DEBUG before searching)"
			: "not available yet";
		return;
	}
	const max = Math.max(0.001, ...cost.commands.map((c) => c.ms));
	const debug = cost.level === "DEBUG";
	table.append(h("thead", null, h("tr", null,
		h("th", {scope: "col", text: "command"}), h("th", {scope: "col", text: "ms"}),
		h("th", {scope: "col", text: "events in"}), h("th", {scope: "col", text: "events out"}),
		debug ? h("th", {scope: "col", text: "peak memory"}) : null,
		h("th", {scope: "col", text: "time"}))));
	const body = h("tbody");
	for (const c of cost.commands)
		body.append(h("tr", {class: "cost-row"},
			h("td", {class: "cost-command", text: c.text, title: c.command}),
			h("td", {class: "cost-ms num", text: c.ms.toFixed(3)}),
			h("td", {class: "cost-in num", text: fmtCount(c.eventsIn)}),
			h("td", {class: "cost-out num", text: fmtCount(c.eventsOut)}),
			debug ? h("td", {class: "cost-mem num", text: fmtCount(c.peakMemoryBytes || 0)}) : null,
			h("td", {class: "cost-bar"}, bar(c.ms / max))));
	table.append(body);
	total.textContent = `total ${cost.totalMs.toFixed(3)} ms`;
}
