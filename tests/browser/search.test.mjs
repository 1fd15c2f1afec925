// search.test.mjs - the search page (www/) in headless Chromium, against the
// DOM contract of the page, every figure checked against the API itself.
//
// Run by tests/integration/browser.sh, which starts nginx + asyncreq with
// the page at /, /sub/ and /auth/ (basic auth) and the demo events in
// sysmon_operational-demo. Environment: AR_BASE (http://127.0.0.1:PORT),
// AR_DIR (a scratch directory: downloads, screenshots in AR_DIR/shots),
// AR_SCREENSHOT_DIR (optional: the screenshots also go there), and what
// lib.mjs reads (AR_BROWSER_MODULES, AR_CHROMIUM, AR_PYTHON).
// Prints "ok - " / "not ok - " lines, "# " diagnostics and "END".

import fs from "node:fs";
import path from "node:path";
import {ok, is, same, diag, end, waitFor, Api, launch, Shots, python, ctrlEnter,
	jsonTokens, eventTexts} from "./lib.mjs";

const BASE = process.env.AR_BASE;
const DIR = process.env.AR_DIR;
const ORIGIN = new URL(BASE).origin;
const Q1 = "source sysmon_operational-* | search EventID=1";
const QALL = "source sysmon_operational-*";
// Runs for about 15 s on one core: long enough to be stopped while RUNNING.
const QLONG = "| makeresults count=10000000 shownumbers=true | eval x = number * 2 | where x > 5 | stats sum(x)";
const QBAD = "source x | stat count";
const FINAL = ["DONE", "FAILED", "CANCELLED"];

const api = new Api(BASE + "/");
const shots = new Shots(path.join(DIR, "shots"));
const requests = [];		// every URL any page asked for
const consoleErrors = [];	// {text, url, step}
let stepName = "";
let allowHttpErrors = [];	// [status, url pattern] a step expects to provoke

// step(name, fn): runs one part of the test; an exception in it is a
// failed point (the other parts still run).
async function step(name, fn) {
	stepName = name;
	allowHttpErrors = [];
	try {
		await fn();
	} catch (e) {
		ok(false, `${name}: ran to its end`, String(e && e.stack || e));
	}
}

// newPage(browser, url, user): a page that records its requests and
// errors, opened at url (as user through page.authenticate when given).
async function newPage(browser, url, user) {
	const page = await browser.newPage();
	page.on("request", (r) => requests.push(r.url()));
	page.on("pageerror", (e) => consoleErrors.push({text: "pageerror: " + e.message, step: stepName}));
	page.on("console", (m) => {
		if (m.type() !== "error")
			return;
		const loc = m.location() || {};
		const text = m.text(), u = loc.url || "";
		const st = /status of (\d+)/.exec(text);
		if (st && allowHttpErrors.some(([s, re]) => String(s) === st[1] && re.test(u)))
			return;
		consoleErrors.push({text, url: u, step: stepName});
	});
	page.on("dialog", (d) => d.accept());
	if (user)
		await page.authenticate({username: user, password: "pw-" + user});
	await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: "light"}]);
	await page.goto(url, {waitUntil: "load", timeout: 30000});
	await waitFor(() => page.$eval("#user", (e) => e.textContent !== "…" && e.textContent !== ""),
		"#user to be filled");
	return page;
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const attr = (page, sel, a) => page.$eval(sel, (e, a) => e.getAttribute(a), a);
const value = (page, sel) => page.$eval(sel, (e) => e.value);

// idle(page): true once no run or page load is in flight.
const idle = (page) => page.evaluate(() => document.body.dataset.busy === "0");

// setQuery(page, q): replaces the query text by typing q.
async function setQuery(page, q) {
	await page.$eval("#query", (e) => {
		e.focus();
		e.select();
	});
	await page.keyboard.press("Delete");
	await page.keyboard.type(q);
	is(await value(page, "#query"), q, `#query holds what was typed: ${q}`);
}


// watchStatus(page): records every data-status #status takes from now on.
async function watchStatus(page) {
	await page.evaluate(() => {
		window.__statuses = [];
		const s = document.getElementById("status");
		if (window.__statusObserver)
			window.__statusObserver.disconnect();
		window.__statusObserver = new MutationObserver(() => {
			const v = s.dataset.status;
			const l = window.__statuses;
			if (v && l[l.length - 1] !== v)
				l.push(v);
		});
		window.__statusObserver.observe(s, {attributes: true, attributeFilter: ["data-status"]});
	});
}

// waitShown(page, prevId): waits until #task-id names a task other than
// prevId, #status is final and nothing is in flight; returns the task id.
async function waitShown(page, prevId, secs = 60) {
	return waitFor(async () => {
		const [id, s] = await Promise.all([text(page, "#task-id"), attr(page, "#status", "data-status")]);
		return id && id !== prevId && FINAL.includes(s) && await idle(page) && id;
	}, `a task other than ${prevId || "none"} to be shown final`, secs);
}

// run(page, q, how): types q, runs it (Ctrl+Enter, or a click on #run),
// waits for the new task to be shown; returns {id, statuses}.
async function run(page, q, how = "ctrl-enter") {
	if (q !== null)
		await setQuery(page, q);
	const prev = await text(page, "#task-id");
	await watchStatus(page);
	if (how === "click")
		await page.click("#run");
	else
		await ctrlEnter(page);
	const id = await waitShown(page, prev);
	const statuses = await page.evaluate(() => window.__statuses);
	return {id, statuses};
}

// num(n): a count as the page writes it, with thousands separators (20,000).
const num = (n) => Number(n).toLocaleString("en-US");

// pageInfo(from, n, total): the #page-info text (docs/ui.md).
const pageInfo = (from, n, total) => n ? `${num(from + 1)}–${num(from + n)} of ${num(total)}` : `0 of ${num(total)}`;

// apiPage(id, from, to): the API's answer for results from..to, with the
// exact text of each event.
async function apiPage(id, from, to) {
	const r = await api.call("GET", `response/${id}?from=${from}&to=${to}`);
	return {json: r.json, texts: eventTexts(r.text)};
}

// rows(page): the cells' texts of each tr.event, and the header.
const table = (page) => page.evaluate(() => ({
	head: [...document.querySelectorAll("#results thead th")].map((t) => t.textContent),
	rows: [...document.querySelectorAll("#results tbody tr.event")].map((r) =>
		[...r.querySelectorAll("td")].map((t) => t.textContent)),
}));

// checkRows(tab, events, name): each string and safe-integer cell equals
// the API's value of that column in that event (top-level keys).
function checkRows(tab, events, name) {
	const bad = [];
	events.forEach((e, i) => {
		tab.head.forEach((c, j) => {
			if (c === "@timestamp" || !(c in e))
				return;
			const v = e[c];
			let want = null;
			if (typeof v === "string")
				want = v;
			else if (Number.isSafeInteger(v))
				want = String(v);
			if (want !== null && (tab.rows[i] || [])[j] !== want)
				bad.push(`row ${i} column ${c}: ${JSON.stringify((tab.rows[i] || [])[j])} != ${JSON.stringify(want)}`);
		});
	});
	ok(bad.length === 0 && tab.rows.length === events.length, name,
		`rows ${tab.rows.length}, API events ${events.length}`, ...bad.slice(0, 5));
}

// expectedColumns(events): @timestamp then the first 6 other fields of
// the page (in order of first appearance); every field without @timestamp.
function expectedColumns(events) {
	const seen = [];
	for (const e of events)
		for (const k of Object.keys(e))
			if (!seen.includes(k))
				seen.push(k);
	if (!seen.includes("@timestamp"))
		return seen;
	return ["@timestamp", ...seen.filter((k) => k !== "@timestamp").slice(0, 6)];
}

async function openTab(page, name) {
	await page.click(`#tab-${name}`);
	await waitFor(() => page.evaluate((n) =>
		document.getElementById(`tab-${n}`).getAttribute("aria-selected") === "true" &&
		!document.getElementById(`panel-${n}`).hidden, name), `the ${name} tab to be shown`);
	const others = await page.evaluate((n) => ["events", "log", "cost", "tasks", "saved"].filter((t) => t !== n)
		.filter((t) => !document.getElementById(`panel-${t}`).hidden ||
			document.getElementById(`tab-${t}`).getAttribute("aria-selected") === "true"), name);
	same(others, [], `#tab-${name}: the other panels are hidden and not selected`);
}

// waitFile(dir, name): waits until dir/name is complete; returns its bytes.
async function waitFile(dir, name, secs = 30) {
	const p = path.join(dir, name);
	await waitFor(() => fs.existsSync(p) && !fs.readdirSync(dir).some((f) => f.endsWith(".crdownload")),
		`the download ${name} in ${dir} (there: ${fs.existsSync(dir) ? fs.readdirSync(dir).join(", ") : "-"})`, secs);
	return fs.readFileSync(p);
}

async function main() {
	const browser = await launch();
	diag(`chromium ${await browser.version()}`);
	const dl = path.join(DIR, "downloads");
	fs.mkdirSync(dl, {recursive: true});
	const cdp = await browser.target().createCDPSession();
	await cdp.send("Browser.setDownloadBehavior", {behavior: "allow", downloadPath: dl, eventsEnabled: true});

	// What the API says, for the same queries and the page's default range.
	const n1 = await api.count(Q1, "now-24h", "now");
	const nAll = await api.count(QALL, "now-24h", "now");
	diag(`API: ${Q1}: ${n1} results; ${QALL}: ${nAll}`);
	ok(n1 > 100 && nAll > n1, "the demo data has events for the queries");

	let page, first = null, firstQuery = null;

	await step("the page at /", async () => {
		page = await newPage(browser, BASE + "/");
		is(await text(page, "#user"), "anonymous", "#user at / (no REMOTE_USER): anonymous");
		ok(!(await page.$eval("#user", (e) => e.classList.contains("admin"))), "#user has no class admin");
		is(await value(page, "#time-preset"), "now-24h", "#time-preset defaults to now-24h");
		is(await value(page, "#dt-start"), "now-24h", "#dt-start of the default preset");
		is(await value(page, "#dt-end"), "now", "#dt-end of the default preset");
		ok(await page.$eval("#calc-stats", (e) => e.checked), "#calc-stats is checked by default");
		is(await value(page, "#exec-cost"), "INFO", "#exec-cost defaults to INFO");
		ok(await page.$eval("#stop", (e) => e.disabled), "#stop is disabled before any run");
		is(await attr(page, "#status", "data-status"), null, "#status has no data-status before any run");
		is(await text(page, "#page-info"), "0 of 0", "#page-info before any run");
		ok(await page.$eval("#banner", (e) => e.hidden), "#banner is hidden");
		ok(await page.$eval("#query-error", (e) => e.hidden), "#query-error is hidden");
	});

	await step("a search with Ctrl+Enter", async () => {
		const before = (await api.tasks()).length;
		await setQuery(page, Q1);
		const hl = await page.evaluate(() => ({
			cmd: [...document.querySelectorAll("#query-hl .tok-cmd")].map((e) => e.textContent),
			op: [...document.querySelectorAll("#query-hl .tok-op")].map((e) => e.textContent),
			num: [...document.querySelectorAll("#query-hl .tok-num")].map((e) => e.textContent),
			all: document.getElementById("query-hl").textContent,
		}));
		same(hl.cmd, ["source", "search"], "#query-hl: .tok-cmd spans are the commands");
		ok(hl.op.includes("|") && hl.op.includes("="), "#query-hl: | and = are .tok-op", hl.op);
		same(hl.num, ["1"], "#query-hl: 1 is a .tok-num");
		ok(hl.all.startsWith(Q1), "#query-hl holds the query text", hl.all);

		const {id, statuses} = await run(page, null);
		first = id;
		firstQuery = Q1;
		ok(statuses.length > 0 && statuses[statuses.length - 1] === "DONE" &&
			statuses.every((s, i) => ["QUEUED", "RUNNING", "DONE"].indexOf(s) >= (i ? ["QUEUED", "RUNNING", "DONE"].indexOf(statuses[i - 1]) : 0)),
			"#status went QUEUED/RUNNING to DONE, or straight to DONE", statuses);
		const t = (await api.call("GET", `status/${id}`)).json;
		is(t.status, "DONE", "the task the page made is DONE");
		is(t.query, Q1, "the task's query is the typed one");
		is(t.dtStart, "now-24h", "the task's dtStart is the preset's");
		is(t.dtEnd, "now", "the task's dtEnd");
		is(t.calculateStats, true, "the task has calculateStats");
		is(t.calculateExecutionCost, "INFO", "the task has calculateExecutionCost INFO");
		is(t.resultCount, n1, "the page's task has as many results as the API's own");
		is((await api.tasks()).length, before + 1, "one task was made");
		const st = await text(page, "#status");
		ok(new RegExp(`^DONE: ${num(n1)} results, ${num(t.scannedEvents)} events scanned in \\d+(\\.\\d+)? m?s$`).test(st),
			"#status text: DONE: N results, M events scanned in T", st, `N=${n1} M=${t.scannedEvents}`);
		is(await page.$eval("#progress", (e) => e.value), 1, "#progress value 1");
		is(await attr(page, "#progress", "max"), "1", "#progress max=1");
		ok(await page.$eval("#stop", (e) => e.disabled), "#stop is disabled for a DONE task");
		is(await text(page, "#page-info"), pageInfo(0, 50, n1), "#page-info: the first page of N");
		is(await value(page, "#page-size"), "50", "#page-size defaults to 50");
		ok(await page.$eval("#page-prev", (e) => e.disabled), "#page-prev is disabled on the first page");
		ok(!(await page.$eval("#page-next", (e) => e.disabled)), "#page-next is enabled");
		const u = new URL(page.url());
		same([u.searchParams.get("q"), u.searchParams.get("start"), u.searchParams.get("end"), u.searchParams.get("task")],
			[Q1, "now-24h", "now", id], "the address bar: ?q=&start=&end=&task=");

		const {json, texts} = await apiPage(id, 0, 50);
		const tab = await table(page);
		same(tab.head, expectedColumns(json.events), "#results columns: @timestamp and the first 6 other fields");
		checkRows(tab, json.events, "#results rows: the API's first 50 events, in order");

		// The sidebar: one li.field per field of the API's sidebar, in order.
		const full = (await api.call("GET", `response/${id}?from=0&to=0`)).json;
		const side = await page.evaluate(() => [...document.querySelectorAll("#sidebar > li.field")].map((li) => ({
			field: li.dataset.field,
			name: li.querySelector("button.field-name").firstChild.textContent.trim(),
			count: (li.querySelector(".field-count") || {}).textContent,
			distinct: (li.querySelector(".field-distinct") || {}).textContent,
		})));
		same(side.map((f) => f.field), full.sidebar.fields.map((f) => f.name), "#sidebar: a li.field per field of the API's sidebar");
		const f = full.sidebar.fields.find((x) => x.name === "Hostname");
		const s = side.find((x) => x.field === "Hostname") || {};
		same([s.name, s.count, s.distinct], ["Hostname", String(f.count), String(f.distinct)],
			"#sidebar Hostname: its name, count and distinct");

		// The timeline: a rect.bar per bucket with the API's counts.
		const bars = await page.$$eval("#timeline rect.bar", (rs) => rs.map((r) => ({start: r.dataset.start, count: r.dataset.count,
			title: !!r.querySelector("title")})));
		same(bars.map((b) => [Date.parse(b.start), Number(b.count)]),
			full.timeline.fields.map((b) => [Date.parse(b["@timestamp"]), b.count]),
			"#timeline: a rect.bar per bucket, data-start and data-count as the API's");
		ok(bars.every((b) => b.title), "#timeline: each bar has a <title>");
		is(await text(page, "#timeline-info"), `interval ${full.timeline.interval}, ${full.timeline.fields.length} buckets`,
			"#timeline-info: interval and buckets");
		is(bars.reduce((a, b) => a + Number(b.count), 0), n1, "#timeline: the bars add up to the results");

		await page.click('#sidebar li.field[data-field="Hostname"] button.field-name');
		await waitFor(() => page.$('#sidebar li.field[data-field="Hostname"] ul.values li.value'), "Hostname's values");
		await shots.take(page, "search.png");
	});

	await step("paging", async () => {
		const p0 = await apiPage(first, 0, 50);
		const p1 = await apiPage(first, 50, 100);
		const row0 = (await table(page)).rows[0];
		const info0 = await text(page, "#page-info");
		await page.click("#page-next");
		await waitFor(async () => await text(page, "#page-info") !== info0 && await idle(page),
			"#page-info to change");
		is(await text(page, "#page-info"), pageInfo(50, 50, n1), "#page-next: #page-info shows the second page");
		const t1 = await table(page);
		ok(JSON.stringify(t1.rows[0]) !== JSON.stringify(row0), "#page-next: the first row differs", t1.rows[0], row0);
		checkRows(t1, p1.json.events, "#page-next: the rows are the API's events 51-100");
		ok(!(await page.$eval("#page-prev", (e) => e.disabled)), "#page-prev is enabled on the second page");
		const info1 = await text(page, "#page-info");
		await page.click("#page-prev");
		await waitFor(async () => await text(page, "#page-info") !== info1 && await idle(page),
			"#page-info to change back");
		is(await text(page, "#page-info"), pageInfo(0, 50, n1), "#page-prev: back to the first page");
		const t0 = await table(page);
		same(t0.rows[0], row0, "#page-prev: the first row is the first event again");
		checkRows(t0, p0.json.events, "#page-prev: the rows are the API's events 1-50");
		const perf = await page.evaluate(() => ["page-request", "page-drawn"].map((n) => performance.getEntriesByName(n, "mark").length));
		same(perf, [1, 1], "paging leaves one page-request and one page-drawn mark");
	});

	await step("an event opened", async () => {
		const {json, texts} = await apiPage(first, 0, 1);
		await page.click("#results tbody tr.event");
		const pre = await waitFor(() => page.$("#results tbody tr.event + tr.event-detail pre.event-json"),
			"tr.event-detail pre.event-json after the first row");
		const shown = await pre.evaluate((e) => e.textContent);
		let parsed = null;
		try {
			parsed = JSON.parse(shown);
		} catch (e) {
			// stays null
		}
		same(parsed, json.events[0], "pre.event-json parses to the API's event");
		same(jsonTokens(shown), jsonTokens(texts[0]), "pre.event-json: the API's JSON text, every number spelled as sent");
		ok(/^\{\n {2}"/.test(shown), "pre.event-json is pretty-printed (2 spaces)", shown.slice(0, 40));
		const big = /"Counter":(\d+)/.exec(texts[0]);
		ok(big && shown.includes(`"Counter": ${big[1]}`), "pre.event-json keeps a 64-bit integer's digits",
			big && big[1], /"Counter":\s*\d+/.exec(shown));
		await shots.take(page, "event.png");
		await page.click("#results tbody tr.event");
		await waitFor(async () => !(await page.$("#results tbody tr.event-detail")), "the detail row to close");
		ok(true, "a second click on the row closes it");
	});

	await step("the log panel", async () => {
		await openTab(page, "log");
		const logs = (await api.call("GET", `logs/${first}`)).json.logs;
		await waitFor(async () => (await page.$$("#log li.log-line")).length === logs.length, `${logs.length} li.log-line`);
		const lines = await page.$$eval("#log li.log-line", (ls) => ls.map((l) => [
			l.querySelector(".log-level").textContent, l.querySelector(".log-message").textContent,
			!!l.querySelector(".log-time")]));
		same(lines.map((l) => [l[0], l[1]]), logs.map((l) => [l.level, l.message]), "#log: the task's log lines, level and message");
		ok(lines.some((l) => l[1].startsWith("done:")), "#log has the done: line");
		ok(lines.every((l) => l[2]), "#log: each line has a span.log-time");
		await shots.take(page, "log.png");
	});

	await step("the cost panel", async () => {
		await openTab(page, "cost");
		const cost = (await api.call("GET", `response/${first}?from=0&to=0`)).json.executionCost;
		const rows = await page.$$eval("#cost tbody tr.cost-row", (rs) => rs.map((r) => ({
			command: r.querySelector("td.cost-command").textContent,
			ms: r.querySelector("td.cost-ms").textContent,
			in: r.querySelector("td.cost-in").textContent,
			out: r.querySelector("td.cost-out").textContent,
			bar: !!r.querySelector("td.cost-bar div.bar"),
		})));
		same(rows.map((r) => r.command.split(" ")[0]), ["source", "search"], "#cost: a row per command of the query, in order");
		same(rows.map((r) => r.command), cost.commands.map((c) => c.text), "td.cost-command: the command's text, as the API's");
		// The contract gives no format for the counts: with or without separators.
		same(rows.map((r) => [r.in, r.out].map((x) => Number(x.replace(/,/g, "")))),
			cost.commands.map((c) => [c.eventsIn, c.eventsOut]), "#cost: events in and out of each command");
		ok(rows.every((r) => /^\d+(\.\d+)?$/.test(r.ms)), "#cost: td.cost-ms are numbers", rows.map((r) => r.ms));
		ok(rows.every((r) => r.bar), "#cost: each row has a div.bar");
		ok(/^total \d+(\.\d+)? ms$/.test(await text(page, "#cost-total")), "#cost-total: total N ms", await text(page, "#cost-total"));
		await shots.take(page, "cost.png");
		await openTab(page, "events");
	});

	await step("downloads through the dialog", async () => {
		ok(!(await page.$eval("#download", (e) => e.disabled)), "#download is enabled for a DONE task");
		for (const type of ["csv", "xlsx"]) {
			await page.click("#download");
			await waitFor(() => page.$eval("#download-dialog", (d) => d.open), "#download-dialog to open");
			if (type === "csv") {
				same(await page.evaluate(() => [document.getElementById("dl-name").value,
					document.getElementById("dl-all").checked]), ["results", true], "#download-dialog: name results, all results");
			}
			await page.$eval("#dl-name", (e) => {
				e.value = "";
			});
			await page.type("#dl-name", `eid1-${type}`);
			await page.select("#dl-type", type);
			if (type === "csv")
				await shots.take(page, "download.png");
			await page.click("#dl-go");
			const got = await waitFile(dl, `eid1-${type}.${type}`);
			const want = await api.call("POST", `file_download/${first}`,
				{file_name: `eid1-${type}`, file_type: type, download_all_results: true});
			is(want.status, 200, `the API's own ${type} download`);
			if (type === "csv") {
				ok(got.equals(want.buf), "the CSV saved is the API's file, byte for byte", `${got.length} vs ${want.buf.length} bytes`);
				const [rows, header] = JSON.parse(python(`import csv, json, sys
r = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
print(json.dumps([len(r), r[0] if r else []]))`, path.join(dl, "eid1-csv.csv")));
				is(rows, n1 + 1, "the CSV: a header and a row per result");
				ok(header[0] === "'@timestamp" && header.includes("EventID") && header.includes("Hostname"),
					"the CSV header names the fields", header);
			} else {
				const [sheets, rows, header] = JSON.parse(python(`import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
ws = wb.worksheets[0]
r = [list(x) for x in ws.iter_rows(values_only=True)]
print(json.dumps([len(wb.worksheets), len(r), r[0] if r else []], default=str))`, path.join(dl, "eid1-xlsx.xlsx")));
				is(sheets, 1, "the XLSX has one sheet");
				is(rows, n1 + 1, "the XLSX: a header and a row per result");
				const csvHeader = JSON.parse(python(`import csv, json, sys
print(json.dumps(next(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))`, path.join(dl, "eid1-csv.csv")));
				same(header, csvHeader.map((c) => c.replace(/^'/, "")), "the XLSX header is the CSV's (without the formula guard)");
			}
			await waitFor(() => page.$eval("#download-dialog", (d) => !d.open), "#download-dialog to close", 10).catch(async () => {
				ok(false, "#download-dialog closes after the download");
				await page.click("#dl-cancel");
			});
		}
	});

	await step("sidebar values", async () => {
		await run(page, QALL);
		is(await text(page, "#page-info"), pageInfo(0, 50, nAll), `${QALL}: #page-info`);
		await page.click('#sidebar li.field[data-field="EventID"] button.field-name');
		const add = await waitFor(() => page.$('#sidebar li.field[data-field="EventID"] li.value[data-value="1"] button.value-add'),
			"the value 1 of EventID");
		is(await add.evaluate((e) => e.textContent), "=", "button.value-add is =");
		let prev = await text(page, "#task-id");
		await watchStatus(page);
		await add.click();
		await waitShown(page, prev);
		is(await value(page, "#query"), "source sysmon_operational-* | search EventID=1",
			"value-add: | search EventID=1 inserted after source");
		is(await text(page, "#page-info"), pageInfo(0, 50, n1), "value-add: it ran, with the API's count");

		await page.click('#sidebar li.field[data-field="Hostname"] button.field-name');
		const ex = await waitFor(() => page.$('#sidebar li.field[data-field="Hostname"] li.value[data-value="\\"LAPTOP-ÆØÅ\\""] button.value-exclude'),
			"the value LAPTOP-ÆØÅ of Hostname");
		is(await ex.evaluate((e) => e.textContent), "≠", "button.value-exclude is ≠");
		prev = await text(page, "#task-id");
		await ex.click();
		await waitShown(page, prev);
		const q = 'source sysmon_operational-* | search EventID=1 Hostname!="LAPTOP-ÆØÅ"';
		is(await value(page, "#query"), q, "value-exclude: Hostname!=\"LAPTOP-ÆØÅ\" appended to the search, quoted");
		const n = await api.count(q, "now-24h", "now");
		ok(n < n1, "the exclusion drops events", n, n1);
		is(await text(page, "#page-info"), pageInfo(0, 50, n), "value-exclude: it ran, with the API's count");
	});

	await step("a drag on the timeline", async () => {
		await run(page, Q1);
		const bars = await page.$$("#timeline rect.bar");
		const info = await page.$$eval("#timeline rect.bar", (rs) => rs.map((r) => [r.dataset.start, Number(r.dataset.count)]));
		// Three buckets with events in the middle of the range.
		let i = Math.floor(info.length / 2) - 1;
		while (i + 2 < info.length && !(info[i][1] > 0 && info[i + 2][1] > 0))
			i++;
		const j = i + 2;
		ok(j < info.length, "three buckets to drag across", info.length);
		const a = await bars[i].boundingBox(), b = await bars[j].boundingBox();
		const prev = await text(page, "#task-id");
		await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
		await page.mouse.down();
		await page.mouse.move((a.x + b.x + b.width) / 2, (a.y + a.height / 2 + b.y + b.height / 2) / 2, {steps: 5});
		await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, {steps: 5});
		await page.mouse.up();
		const id = await waitShown(page, prev);
		const bucket = j + 1 < info.length ? Date.parse(info[j + 1][0]) - Date.parse(info[j][0])
			: Date.parse(info[j][0]) - Date.parse(info[j - 1][0]);
		const start = await value(page, "#dt-start"), endv = await value(page, "#dt-end");
		is(await value(page, "#time-preset"), "custom", "the drag sets #time-preset to custom");
		is(Date.parse(start), Date.parse(info[i][0]), `#dt-start is the first bucket's start (${start})`);
		is(Date.parse(endv), Date.parse(info[j][0]) + bucket, `#dt-end is the last bucket's end (${endv})`);
		const t = (await api.call("GET", `status/${id}`)).json;
		same([Date.parse(t.rangeStart), Date.parse(t.rangeEnd)], [Date.parse(info[i][0]), Date.parse(info[j][0]) + bucket],
			"the new task's range is the buckets'");
		const want = info.slice(i, j + 1).reduce((s, x) => s + x[1], 0);
		const n = await api.count(Q1, start, endv);
		is(n, want, "the API's count for that range is the three bars'");
		is(await text(page, "#page-info"), pageInfo(0, Math.min(50, n), n), "after the drag: #page-info has the API's count");
	});

	await step("a parse error", async () => {
		const want = await api.call("POST", "request", {query: QBAD});
		is(want.status, 400, "the API refuses the query");
		const e = want.json.error;
		same([e.type, e.line, e.column, e.position], ["query_parsing_exception", 1, 12, 11], "the API's place of the error");
		const before = (await api.tasks()).length;
		allowHttpErrors = [[400, /\/_sme\/async_requests\/request$/]];
		await setQuery(page, QBAD);
		await ctrlEnter(page);
		await waitFor(() => page.$eval("#query-error", (x) => !x.hidden), "#query-error to show");
		await waitFor(() => idle(page), "the page to be idle");
		// The API's reason ends with its place too; the page says it once.
		is(await text(page, "#query-error"), `line 1, column 12: ${e.reason.replace(/ at line 1, column 12$/, "")}`,
			"#query-error: line L, column C: REASON (without its own ' at line L, column C')");
		same([await attr(page, "#query-error", "data-line"), await attr(page, "#query-error", "data-column")], ["1", "12"],
			"#query-error data-line and data-column");
		const mark = await page.evaluate(() => {
			const m = document.querySelector("#query-hl mark.tok-error");
			if (!m)
				return null;
			const r = document.createRange();
			r.setStart(document.getElementById("query-hl"), 0);
			r.setEndBefore(m);
			return {before: r.toString(), text: m.textContent};
		});
		ok(mark !== null, "#query-hl has a mark.tok-error");
		is(mark && mark.before, "source x | ", "the mark.tok-error is at the error's position (11)");
		ok(mark && mark.text.startsWith("stat"), "the mark.tok-error holds the token there", mark);
		is((await api.tasks()).length, before, "no task was made");
		await shots.take(page, "parse-error.png");
	});

	await step("stopping a long task", async () => {
		await setQuery(page, QLONG);
		const prev = await text(page, "#task-id");
		await ctrlEnter(page);
		await waitFor(async () => await text(page, "#task-id") !== prev &&
			await attr(page, "#status", "data-status") === "RUNNING", "#status RUNNING");
		const id = await text(page, "#task-id");
		await waitFor(() => page.$eval("#stop", (e) => !e.disabled), "#stop to be enabled");
		ok(true, "#stop is enabled while RUNNING");
		await page.click("#stop");
		await waitFor(async () => await attr(page, "#status", "data-status") === "CANCELLED", "#status CANCELLED", 30);
		is(await attr(page, "#status", "data-status"), "CANCELLED", "#stop: #status data-status CANCELLED");
		is((await api.call("GET", `status/${id}`)).json.status, "CANCELLED", "the API says CANCELLED");
		await waitFor(() => page.$eval("#stop", (e) => e.disabled), "#stop to be disabled again");
		ok(true, "#stop is disabled once CANCELLED");
	});

	await step("the tasks panel", async () => {
		const doomed = await api.run({query: "| makeresults count=3"});
		await openTab(page, "tasks");
		await page.click("#tasks-refresh");
		const list = await api.tasks();
		await waitFor(async () => (await page.$$eval("#tasks tbody tr.task", (rs) => rs.map((r) => r.dataset.id))).join() === list.map((t) => t.id).join(),
			"#tasks to list the API's tasks").catch(() => null);
		same(await page.$$eval("#tasks tbody tr.task", (rs) => rs.map((r) => r.dataset.id)), list.map((t) => t.id),
			"#tasks: a tr.task per task of the API, newest first");
		const row = `#tasks tbody tr.task[data-id="${doomed.id}"]`;
		same(await page.$eval(row, (r) => [r.querySelector("td.task-status").textContent, r.querySelector("td.task-query").textContent,
			r.querySelector("button.task-stop").disabled]), ["DONE", "| makeresults count=3", true],
		"tr.task: status, query, and a disabled Stop for a final task");
		await shots.take(page, "tasks.png");
		allowHttpErrors = [[404, new RegExp(doomed.id)]];
		await page.click(`${row} button.task-delete`);
		await waitFor(async () => !(await page.$(row)), "the deleted task's row to go");
		ok(true, "button.task-delete: the row disappears");
		is((await api.call("GET", `status/${doomed.id}`)).status, 404, "the API answers 404 for the deleted task");
		await openTab(page, "events");
	});

	await step("the saved searches panel", async () => {
		const c = await api.call("POST", "../saved_searches", {name: "panel-test",
			query: "| makeresults count=4", dtStart: "now-2h", schedule: "@daily"});
		is(c.status, 201, "a saved search made through the API");
		await openTab(page, "saved");
		await page.click("#saved-refresh");
		const row = '#saved tbody tr.saved[data-name="panel-test"]';
		await waitFor(() => page.$(row), "#saved to list it");
		same(await page.$eval(row, (r) => [r.querySelector("td.saved-query").textContent,
			r.querySelector("td.saved-schedule").textContent]), ["| makeresults count=4", "@daily"],
		"tr.saved: its query and schedule");
		// Clicks in the page itself: each refresh re-renders the list.
		await page.$eval(`${row} button.saved-load`, (b) => b.click());
		await waitFor(() => page.$eval("#panel-events", (e) => !e.hidden), "Load to show the events panel");
		same([await value(page, "#query"), await value(page, "#dt-start")], ["| makeresults count=4", "now-2h"],
			"button.saved-load: the query and range in the form");
		await openTab(page, "saved");
		await waitFor(() => page.$(row), "#saved to list it again");
		await page.$eval(`${row} button.saved-run`, (b) => b.click());
		await waitFor(async () => (await api.call("GET", "../saved_searches/panel-test/runs")).json.runs.length === 1,
			"Run now to start a run");
		const run = (await api.call("GET", "../saved_searches/panel-test/runs")).json.runs[0];
		await waitFor(() => page.$eval("#task-id", (e, id) => e.textContent.includes(id), run.id),
			"the run's task to be shown");
		ok(true, "button.saved-run: the run's task is shown");
		await api.waitFinal(run.id);
		await openTab(page, "saved");
		await waitFor(() => page.$(row), "#saved to list it again");
		await page.$eval(`${row} button.saved-delete`, (b) => b.click());
		await waitFor(async () => !(await page.$(row)), "the deleted search's row to go");
		is((await api.call("GET", "../saved_searches/panel-test")).status, 404,
			"button.saved-delete: the API answers 404 for it");
		await openTab(page, "events");
	});

	await step("a bookmarked search", async () => {
		const before = (await api.tasks()).length;
		const p = await newPage(browser, `${BASE}/?q=${encodeURIComponent(Q1)}&start=now-24h&end=now`);
		const id = await waitShown(p, "");
		is((await api.tasks()).length, before + 1, "?q=&start=&end= runs the search: one new task");
		is(await value(p, "#query"), Q1, "the link's query is in #query");
		same([await value(p, "#dt-start"), await value(p, "#dt-end")], ["now-24h", "now"], "the link's range");
		is(await text(p, "#page-info"), pageInfo(0, 50, n1), "the link's search: #page-info");
		is((await api.call("GET", `status/${id}`)).json.query, Q1, "the task made has the link's query");
		await p.close();

		const b2 = (await api.tasks()).length;
		const p2 = await newPage(browser, `${BASE}/?task=${first}&q=${encodeURIComponent(firstQuery)}&start=now-24h&end=now`);
		await waitShown(p2, "");
		is(await text(p2, "#task-id"), first, "?task=ID shows that task");
		is(await text(p2, "#page-info"), pageInfo(0, 50, n1), "?task=ID: its results");
		is(await value(p2, "#query"), firstQuery, "?task=ID: its query");
		// The page is idle with the task shown: a run would have made its
		// task before showing it.
		is((await api.tasks()).length, b2, "?task=ID makes no new task");
		await p2.close();
	});

	await step("the page under /sub/", async () => {
		const mark = requests.length;
		const p = await newPage(browser, `${BASE}/sub/`);
		is(await text(p, "#user"), "anonymous", "/sub/: #user anonymous");
		await run(p, Q1, "click");
		is(await text(p, "#page-info"), pageInfo(0, 50, n1), "/sub/: a search clicked with #run has the API's count");
		const mine = requests.slice(mark).filter((u) => u.startsWith("http"));
		const apiCalls = mine.filter((u) => u.includes("_sme/"));
		ok(apiCalls.length > 0 && apiCalls.every((u) => u.startsWith(`${ORIGIN}/sub/_sme/async_requests/`)),
			"/sub/: every API call goes to /sub/_sme/", apiCalls.filter((u) => !u.startsWith(`${ORIGIN}/sub/_sme/`)).slice(0, 5));
		ok(mine.every((u) => u.startsWith(`${ORIGIN}/sub/`)), "/sub/: every file comes from /sub/",
			mine.filter((u) => !u.startsWith(`${ORIGIN}/sub/`)).slice(0, 5));
		await p.close();
	});

	await step("the page under /auth/ (basic auth)", async () => {
		const p = await newPage(browser, `${BASE}/auth/`, "alice");
		is(await text(p, "#user"), "alice", "/auth/: #user is alice");
		const {id} = await run(p, Q1);
		is(await text(p, "#page-info"), pageInfo(0, 50, n1), "/auth/: the search has the API's count");
		const alice = new Api(`${BASE}/auth/`, "alice");
		is((await alice.call("GET", `status/${id}`)).json.owner, "alice", "/auth/: the task's owner is alice");
		await p.close();
	});

	await step("dark mode", async () => {
		const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: "light"}]);
		const light = await bg();
		await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: "dark"}]);
		const dark = await bg();
		ok(light !== dark, "prefers-color-scheme dark changes the body's background", light, dark);
		const lum = (c) => {
			const m = /(\d+), (\d+), (\d+)/.exec(c);
			return m ? Number(m[1]) + Number(m[2]) + Number(m[3]) : -1;
		};
		ok(lum(dark) < lum(light), "the dark background is darker", light, dark);
		await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: "light"}]);
	});

	await browser.close();

	const elsewhere = requests.filter((u) => !u.startsWith(ORIGIN + "/") && !/^(data|blob):/.test(u));
	ok(elsewhere.length === 0, `every request went to ${ORIGIN} (${requests.length} requests)`, ...elsewhere.slice(0, 10));
	ok(consoleErrors.length === 0, "no page errors or console errors", ...consoleErrors.slice(0, 10));
}

main().catch((e) => ok(false, "the browser test ran to its end", String(e && e.stack || e))).finally(end);
