// dom.js - small DOM and formatting helpers shared by the page's modules.

// $(id): the element with that id (the page's ids are in docs/ui.md).
export const $ = (id) => document.getElementById(id);

// h(tag, attrs, ...children): a new element. attrs keys: "class", "text",
// "on<event>" (a listener), "data-*", anything else as an attribute
// (false/null/undefined leaves it out). Children: nodes or strings.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === false || v === null || v === undefined)
			continue;
		if (k === "class")
			el.className = v;
		else if (k === "text")
			el.textContent = v;
		else if (k.startsWith("on"))
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? "" : v);
	}
	for (const c of children)
		if (c !== null && c !== undefined)
			el.append(c);
	return el;
}

// clear(el): removes every child of el; returns el.
export function clear(el) {
	el.replaceChildren();
	return el;
}

// svg(tag, attrs): a new SVG element with those attributes.
export function svg(tag, attrs) {
	const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
	for (const [k, v] of Object.entries(attrs || {}))
		el.setAttribute(k, v);
	return el;
}

// cellText(v): how a value shows in a table cell: strings as they are,
// null and missing as "", anything else as its JSON text.
export function cellText(v) {
	if (v === undefined || v === null)
		return "";
	if (typeof v === "string")
		return v;
	return JSON.stringify(v);
}

// fieldValue(event, name): the value of field name in event: the key
// itself, else the dotted path into nested objects (the sidebar's names).
export function fieldValue(event, name) {
	if (event === null || typeof event !== "object")
		return undefined;
	if (Object.prototype.hasOwnProperty.call(event, name))
		return event[name];
	// The longest key before a dot first, so "a.b.c" finds {"a.b": {"c": 1}}.
	for (let p = name.lastIndexOf("."); p > 0; p = name.lastIndexOf(".", p - 1)) {
		const key = name.slice(0, p);
		if (Object.prototype.hasOwnProperty.call(event, key))
			return fieldValue(event[key], name.slice(p + 1));
	}
	return undefined;
}

// fmtCount(n): n with thousands separators ("20,000"), as shown in counts.
export function fmtCount(n) {
	return Number(n).toLocaleString("en-US");
}

// fmtMs(ms): milliseconds as "12 ms" or "1.23 s".
export function fmtMs(ms) {
	if (ms < 1000)
		return `${Math.round(ms)} ms`;
	return `${(ms / 1000).toFixed(2)} s`;
}

// mark(name): performance.mark(name), clearing the previous mark of that name.
export function mark(name) {
	performance.clearMarks(name);
	performance.mark(name);
}
