// bench/ui.mjs - the search page's timings in headless Chromium, for
// bench/ui (which starts the stack and passes AR_BASE). Reads the page's
// performance marks (performance.mark() in www/js/): "run" -> "results-drawn"
// and "page-request" -> "page-drawn". Prints one line per figure and, last,
// a JSON line "RESULT {...}" for the shell.
//
// Environment: AR_BASE, BENCH_RUNS (searches timed, default 10),
// BENCH_PAGES (page clicks of each kind, default 20), BENCH_QUERY,
// BENCH_BIG (results of the paged task, default 1000000).

import {waitFor, launch, median, Api, ctrlEnter} from "../tests/browser/lib.mjs";

const BASE = process.env.AR_BASE;
const RUNS = Number(process.env.BENCH_RUNS || 10);
const PAGES = Number(process.env.BENCH_PAGES || 20);
const QUERY = process.env.BENCH_QUERY || "source sysmon_operational-* | search EventID=1";
const BIG = Number(process.env.BENCH_BIG || 1000000);

// between(page, a, b): ms from mark a to mark b, once b is there.
async function between(page, a, b) {
	return waitFor(() => page.evaluate((a, b) => {
		const x = performance.getEntriesByName(a, "mark"), y = performance.getEntriesByName(b, "mark");
		return x.length && y.length && document.body.dataset.busy === "0" ? y[0].startTime - x[0].startTime : null;
	}, a, b), `the mark ${b}`, 120);
}

const clearMarks = (page, ...names) => page.evaluate((ns) => ns.forEach((n) => performance.clearMarks(n)), names);

async function setQuery(page, q) {
	await page.$eval("#query", (e) => {
		e.value = "";
		e.focus();
	});
	await page.keyboard.type(q);
}

// search(page): one timed Ctrl+Enter; waits until the task is final.
async function search(page) {
	const prev = await page.$eval("#task-id", (e) => e.textContent);
	await clearMarks(page, "run", "results-drawn");
	await ctrlEnter(page);
	const ms = await between(page, "run", "results-drawn");
	await waitFor(() => page.evaluate((prev) => document.getElementById("task-id").textContent !== prev &&
		["DONE", "FAILED", "CANCELLED"].includes(document.getElementById("status").dataset.status) &&
		document.body.dataset.busy === "0", prev), "the task to be final", 120);
	return ms;
}

// click(page, id): one timed page button click.
async function click(page, id) {
	await waitFor(() => page.$eval(`#${id}`, (e) => !e.disabled), `#${id} to be enabled`);
	await clearMarks(page, "page-request", "page-drawn");
	await page.click(`#${id}`);
	return between(page, "page-request", "page-drawn");
}

const fmt = (xs) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length})`;

async function main() {
	const api = new Api(BASE + "/");
	const browser = await launch();
	const page = await browser.newPage();
	await page.goto(BASE + "/", {waitUntil: "load"});
	await waitFor(() => page.$eval("#user", (e) => e.textContent !== "…" && e.textContent !== ""), "the page");
	console.log(`chromium ${await browser.version()}`);

	// (a) Ctrl+Enter to the first results drawn, after one warm-up run.
	await setQuery(page, QUERY);
	await search(page);
	const runs = [];
	for (let i = 0; i < RUNS; i++)
		runs.push(await search(page));
	const info = await page.$eval("#page-info", (e) => e.textContent);
	console.log(`search "${QUERY}" (${info}): run -> results-drawn ${fmt(runs)}`);

	// (b) paging a task of BIG results.
	await setQuery(page, `| makeresults count=${BIG} shownumbers=true`);
	await search(page);
	const id = await page.$eval("#task-id", (e) => e.textContent);
	const st = (await api.call("GET", `status/${id}`)).json;
	if (st.status !== "DONE" || st.resultCount !== BIG)
		throw new Error(`the paged task is ${st.status} with ${st.resultCount} results`);
	const next = [];
	for (let i = 0; i < PAGES; i++)
		next.push(await click(page, "page-next"));
	const hasJumps = !!(await page.$("#page-last")) && !!(await page.$("#page-first"));
	const last = [], first = [];
	if (hasJumps) {
		for (let i = 0; i < PAGES; i++) {
			last.push(await click(page, "page-last"));
			first.push(await click(page, "page-first"));
		}
	}
	const endInfo = hasJumps ? await (async () => {
		await click(page, "page-last");
		return page.$eval("#page-info", (e) => e.textContent);
	})() : "";
	console.log(`paging a ${BIG}-result task: next page ${fmt(next)}`);
	if (hasJumps)
		console.log(`  jump to the last page (${endInfo}) ${fmt(last)}; back to the first ${fmt(first)}`);
	else
		console.log("  no #page-first/#page-last buttons: jumps not measured");
	await browser.close();
	console.log("RESULT " + JSON.stringify({
		search: median(runs),
		next_median: median(next), next_max: Math.max(...next),
		last_median: hasJumps ? median(last) : null, last_max: hasJumps ? Math.max(...last) : null,
	}));
}

main().catch((e) => {
	console.error(`bench/ui.mjs: ${e && e.stack || e}`);
	process.exit(1);
});
