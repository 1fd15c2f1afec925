// main.js - the search page: runs a query, follows its task until it is
// final (progress, partial results), and wires the editor, the time
// picker, the results, the sidebar, the timeline, the panels and the
// address bar together. docs/ui.md describes the page.

import {$, h, fmtCount, fmtMs, mark} from "./dom.js";
import * as api from "./api.js";
import * as editor from "./editor.js";
import * as timepicker from "./timepicker.js";
import * as results from "./results.js";
import * as sidebar from "./sidebar.js";
import * as timeline from "./timeline.js";
import * as log from "./log.js";
import * as cost from "./cost.js";
import * as tasks from "./tasks.js";
import * as download from "./download.js";
import * as saved from "./saved.js";

const FINAL = new Set(["DONE", "FAILED", "CANCELLED"]);
const POLL_FIRST_MS = 10, POLL_MAX_MS = 500, PARTIAL_REFRESH_MS = 700;

let shown = null;	// the task shown (its last status), or null
let generation = 0;	// bumped when another task is shown: old polls stop
let busy = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// setBusy(on): counts work in flight; body[data-busy] is "1" while any is.
function setBusy(on) {
	busy = Math.max(0, busy + (on ? 1 : -1));
	document.body.dataset.busy = busy ? "1" : "0";
}

// banner(text, action): shows a page-level message (null hides it), with
// an optional {label, run} button.
function banner(text, action) {
	const b = $("banner");
	b.hidden = !text;
	b.replaceChildren();
	if (!text)
		return;
	b.append(h("span", {text}));
	if (action)
		b.append(" ", h("button", {type: "button", text: action.label, onclick: action.run}));
}

// reportError(e): says what failed, on the banner.
function reportError(e) {
	if (e instanceof api.ApiError) {
		if (e.status !== 401)
			banner(`${e.type || "error"}: ${e.message}`);
	} else {
		banner(`The service did not answer (${e.message}).`);
	}
}

// drawStatus(t): the status line, progress bar and Stop button of task t.
function drawStatus(t) {
	const s = $("status");
	s.dataset.status = t.status;
	const n = fmtCount(t.resultCount), scanned = fmtCount(t.scannedEvents);
	let text = t.status;
	if (t.status === "RUNNING")
		text = `RUNNING: ${n} results so far, ${scanned} events scanned`;
	else if (t.status === "DONE") {
		const ms = t.startedAt && t.finishedAt ? Date.parse(t.finishedAt) - Date.parse(t.startedAt) : 0;
		text = `DONE: ${n} results, ${scanned} events scanned in ${fmtMs(ms)}`;
	} else if (t.status === "FAILED")
		text = `FAILED: ${t.error}`;
	else if (t.status === "CANCELLED")
		text = `CANCELLED: ${t.error || "stopped"} (${n} results kept)`;
	s.textContent = text;
	$("progress").value = t.progress;
	$("task-id").textContent = t.id;
	$("stop").disabled = FINAL.has(t.status);
	$("download").disabled = !FINAL.has(t.status);
}

// pageUrl(q, start, end, id): the address of a search (and of its task).
function pageUrl(q, start, end, id) {
	const p = new URLSearchParams({q, start, end});
	if (id)
		p.set("task", id);
	return `${location.pathname}?${p}`;
}

// run(): creates a task from the form and shows it.
async function run() {
	mark("run");
	const query = editor.get();
	if (!query.trim())
		return;
	editor.clearError();
	banner(null);
	const range = timepicker.get();
	const body = {query, ...range, calculateStats: $("calc-stats").checked,
		calculateExecutionCost: $("exec-cost").value};
	let created;
	setBusy(true);
	try {
		created = await api.create(body);
	} catch (e) {
		if (e instanceof api.ApiError && e.type === "query_parsing_exception") {
			editor.showError(e.error);
			$("status").dataset.status = "";
			$("status").textContent = "The query does not parse.";
		} else if (e instanceof api.ApiError && e.status === 400) {
			editor.showError(e.error);
		} else {
			reportError(e);
		}
		mark("results-drawn");
		return;
	} finally {
		setBusy(false);
	}
	history.pushState(null, "", pageUrl(query, range.dtStart, range.dtEnd, created.id));
	await follow(created.id, true);
}

// follow(id, fresh): shows task id and polls it until it is final, drawing
// partial results on the way; fresh marks "results-drawn" (docs/ui.md)
// when its first results are on screen.
async function follow(id, fresh) {
	const gen = ++generation;
	results.reset(id);
	sidebar.show(null);
	timeline.show(null);
	cost.show(null, $("exec-cost").value);
	if (fresh)
		results.whenDrawn(() => mark("results-drawn"));
	let delay = POLL_FIRST_MS, count = -1, pageAt = 0;
	setBusy(true);
	try {
		for (;;) {
			const t = await api.status(id);
			if (gen !== generation)
				return;
			shown = t;
			drawStatus(t);
			if (FINAL.has(t.status)) {
				const j = await results.load(id, results.from());
				if (j && gen === generation)
					drawExtras(t, j);
				if (!$("panel-log").hidden)
					await log.show(id);
				return;
			}
			const now = performance.now();
			if (t.resultCount !== count && results.from() === 0 && (count <= 0 || now - pageAt > PARTIAL_REFRESH_MS)) {
				count = t.resultCount;
				pageAt = now;
				if (count > 0)
					await results.load(id, 0);
			}
			await sleep(delay);
			delay = Math.min(POLL_MAX_MS, delay * 2);
		}
	} catch (e) {
		if (gen === generation) {
			reportError(e);
			mark("results-drawn");
		}
	} finally {
		setBusy(false);
	}
}

// drawExtras(t, j): the sidebar, timeline and cost of a final task's answer j.
function drawExtras(t, j) {
	sidebar.show(j.sidebar || null);
	if (j.sidebar)
		results.setFields(j.sidebar.fields.map((f) => f.name));
	timeline.show(j.timeline || null, t.dtFieldName, t.rangeEnd);
	cost.show(j.executionCost || null, t.calculateExecutionCost);
}

// open(t): shows task t (from the task list or a link) with its query and
// range in the form, without running anything.
function open(t, push = true) {
	editor.set(t.query);
	timepicker.set(String(t.dtStart), String(t.dtEnd));
	$("calc-stats").checked = t.calculateStats;
	$("exec-cost").value = t.calculateExecutionCost;
	if (push)
		history.pushState(null, "", pageUrl(t.query, t.dtStart, t.dtEnd, t.id));
	selectTab("events");
	follow(t.id, false);
}

// fromUrl(): shows what the address says: a task (task=), or runs a
// query (q=, start=, end=).
async function fromUrl() {
	const p = new URLSearchParams(location.search);
	const q = p.get("q"), id = p.get("task");
	if (q !== null)
		editor.set(q);
	timepicker.set(p.get("start") || timepicker.DEFAULT_START, p.get("end") || "now");
	if (id) {
		try {
			open(await api.status(id), false);
		} catch (e) {
			if (e instanceof api.ApiError && e.status === 404)
				banner(`Task ${id} does not exist any more (deleted, or expired).`);
			else
				reportError(e);
		}
	} else if (q) {
		await run();
	}
}

// selectTab(name): shows panel name (events, log, cost, tasks, saved).
function selectTab(name) {
	for (const t of ["events", "log", "cost", "tasks", "saved"]) {
		const on = t === name;
		$(`tab-${t}`).setAttribute("aria-selected", String(on));
		$(`tab-${t}`).tabIndex = on ? 0 : -1;
		$(`panel-${t}`).hidden = !on;
	}
	if (name === "log" && shown)
		log.show(shown.id).catch(reportError);
	if (name === "tasks")
		tasks.refresh();
	if (name === "saved")
		saved.refresh();
}

// initTabs(): tab clicks and the arrow keys between tabs.
function initTabs() {
	const names = ["events", "log", "cost", "tasks", "saved"];
	names.forEach((n, i) => {
		const tab = $(`tab-${n}`);
		tab.addEventListener("click", () => selectTab(n));
		tab.addEventListener("keydown", (e) => {
			const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
			if (!d)
				return;
			const next = names[(i + d + names.length) % names.length];
			selectTab(next);
			$(`tab-${next}`).focus();
		});
	});
}

async function start() {
	document.body.dataset.busy = "0";
	api.setUnauthorizedHandler(() => banner("You are not signed in (the API answered 401).",
		{label: "Sign in", run: () => location.reload()}));
	editor.init(run);
	timepicker.init();
	results.init(setBusy);
	sidebar.init((name, value, negate) => {
		editor.addFilter(name, value, negate);
		run();
	});
	timeline.init((startIso, endIso) => {
		timepicker.set(startIso, endIso);
		run();
	});
	tasks.init(open, reportError);
	saved.init(open, (s) => {
		editor.set(s.query);
		timepicker.set(s.dtStart, s.dtEnd);
		$("calc-stats").checked = s.calculateStats;
		selectTab("events");
	}, reportError, () => ({query: editor.get(), ...timepicker.get(),
		calculateStats: $("calc-stats").checked}));
	download.init(() => shown && shown.id, reportError);
	initTabs();
	$("search-form").addEventListener("submit", (e) => {
		e.preventDefault();
		run();
	});
	$("stop").addEventListener("click", async () => {
		if (!shown)
			return;
		try {
			await api.stop(shown.id);
		} catch (e) {
			if (!(e instanceof api.ApiError && e.status === 409))
				reportError(e);
		}
	});
	window.addEventListener("popstate", () => fromUrl());
	api.whoami().then((w) => {
		$("user").textContent = w.user;
		$("user").classList.toggle("admin", w.admin);
		$("user").title = w.admin ? "signed in as an admin: you see every user's tasks" : "signed in";
	}).catch(reportError);
	await fromUrl();
}

start();
