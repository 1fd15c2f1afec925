// results.js - the events table (#results): one page of a task's results,
// paging with from/to (a page is fetched, never the whole result), a row
// opening to the event's JSON, and the column chooser.

import {$, h, clear, cellText, fieldValue, fmtCount, mark} from "./dom.js";
import * as api from "./api.js";
import {pretty} from "./jsontext.js";

const MAX_DEFAULT_COLUMNS = 7;

const st = {
	id: null,		// the task shown
	from: 0,		// first result of the page shown
	total: 0,		// results of the task (so far, while partial)
	partial: false,
	events: [],		// the page's events, parsed
	texts: [],		// and their exact JSON texts
	fields: [],		// every field known (sidebar, else the pages seen)
	columns: null,		// chosen by the user, else null (the defaults)
	busy: null,		// the page request in flight
	onDrawn: null,		// called once after the next draw
};

const pageSize = () => Number($("page-size").value) || 50;

// init(setBusy): wires the paging buttons, the page size and the column
// chooser; setBusy(bool) marks the page busy while a page loads.
export function init(setBusy) {
	st.setBusy = setBusy;
	$("page-prev").addEventListener("click", () => userPage(st.from - pageSize()));
	$("page-next").addEventListener("click", () => userPage(st.from + pageSize()));
	$("page-first").addEventListener("click", () => userPage(0));
	$("page-last").addEventListener("click", () => userPage(Math.max(0, Math.ceil(st.total / pageSize()) - 1) * pageSize()));
	$("page-size").addEventListener("change", () => st.id && load(st.id, Math.floor(st.from / pageSize()) * pageSize()));
	$("columns").addEventListener("click", openColumns);
	$("columns-apply").addEventListener("click", (e) => {
		e.preventDefault();
		const picked = [...$("columns-list").querySelectorAll("input:checked")].map((i) => i.value);
		st.columns = picked.length ? picked : null;
		$("columns-dialog").close();
		draw();
	});
	$("columns-cancel").addEventListener("click", () => $("columns-dialog").close());
}

// reset(id): forgets the shown task's page and columns; id is the task
// that is about to be shown.
export function reset(id) {
	Object.assign(st, {id, from: 0, total: 0, partial: false, events: [], texts: [], fields: [], columns: null});
	draw();
}

// setFields(names): the fields the column chooser offers (the sidebar's).
export function setFields(names) {
	st.fields = names.slice();
}

// from(): the first result of the page shown (the page a refresh reloads).
export const from = () => st.from;

// userPage(from): loads the page at from after a click, with the
// performance marks of docs/ui.md.
function userPage(from) {
	mark("page-request");
	st.onDrawn = () => mark("page-drawn");
	load(st.id, from);
}

// load(id, from): fetches and draws results from..from+pageSize of task
// id. Returns the answer's JSON (null when a newer load took over).
export async function load(id, from) {
	from = Math.max(0, from);
	const req = {};
	st.busy = req;
	st.setBusy(true);
	try {
		const {json, texts} = await api.response(id, from, from + pageSize());
		if (st.busy !== req || st.id !== id)
			return null;
		st.from = json.from;
		st.total = json.total;
		st.partial = json.isPartial;
		st.events = json.events;
		st.texts = texts;
		draw();
		return json;
	} finally {
		if (st.busy === req) {
			st.busy = null;
			st.setBusy(false);
		}
	}
}

// columnsOf(): the columns to show: the chosen ones, else @timestamp and
// the first fields of the page, else (results without a time: stats and
// the like) every field of the page.
function columnsOf() {
	if (st.columns)
		return st.columns;
	const seen = [];
	for (const e of st.events)
		for (const k of Object.keys(e))
			if (!seen.includes(k))
				seen.push(k);
	if (!seen.includes("@timestamp"))
		return seen;
	return ["@timestamp", ...seen.filter((k) => k !== "@timestamp")].slice(0, MAX_DEFAULT_COLUMNS);
}

// draw(): renders the page held in st into #results and the paging bar.
function draw() {
	const cols = columnsOf();
	const table = $("results");
	const head = h("tr", null, ...cols.map((c) => h("th", {scope: "col", text: c})));
	const body = h("tbody");
	st.events.forEach((e, i) => {
		const row = h("tr", {class: "event", tabindex: "0", "data-index": String(st.from + i)},
			...cols.map((c) => h("td", {text: cellText(fieldValue(e, c))})));
		const toggle = () => toggleDetail(row, st.texts[i], cols.length);
		row.addEventListener("click", toggle);
		row.addEventListener("keydown", (ev) => {
			if (ev.key === "Enter" || ev.key === " ") {
				ev.preventDefault();
				toggle();
			}
		});
		body.append(row);
	});
	clear(table).append(h("thead", null, head), body);
	const n = st.events.length;
	const so = st.partial ? " so far" : "";
	$("page-info").textContent = n ? `${fmtCount(st.from + 1)}–${fmtCount(st.from + n)} of ${fmtCount(st.total)}${so}`
		: `0 of ${fmtCount(st.total)}${so}`;
	$("page-prev").disabled = $("page-first").disabled = st.from === 0;
	$("page-next").disabled = $("page-last").disabled = st.from + n >= st.total;
	$("results-empty").hidden = n > 0 || st.id === null;
	if (st.onDrawn) {
		const f = st.onDrawn;
		st.onDrawn = null;
		f();
	}
}

// whenDrawn(fn): fn() runs once, after the next page is drawn.
export function whenDrawn(fn) {
	st.onDrawn = fn;
}

// toggleDetail(row, text, span): opens (or closes) the event's JSON under row.
function toggleDetail(row, text, span) {
	const next = row.nextElementSibling;
	if (next && next.classList.contains("event-detail")) {
		next.remove();
		row.setAttribute("aria-expanded", "false");
		return;
	}
	row.setAttribute("aria-expanded", "true");
	row.after(h("tr", {class: "event-detail"},
		h("td", {colspan: String(Math.max(1, span))}, h("pre", {class: "event-json", text: pretty(text || "{}")}))));
}

// openColumns(): the column chooser: every known field, the shown ones ticked.
function openColumns() {
	const shown = columnsOf();
	const names = [...new Set([...shown, ...st.fields, ...st.events.flatMap((e) => Object.keys(e))])];
	clear($("columns-list")).append(...names.map((n) =>
		h("label", null, h("input", {type: "checkbox", value: n, checked: shown.includes(n)}), " " + n)));
	$("columns-dialog").showModal();
}
