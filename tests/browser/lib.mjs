// lib.mjs - what the browser tests and bench/ui share: TAP points, waits
// with a deadline, the API called directly, Chromium through puppeteer-core.
//
// TAP: ok()/is()/same() print "ok - NAME" or "not ok - NAME" followed by
// "# " diagnostics, and end() prints "END"; tests/integration/browser.sh
// numbers them into its own TAP stream (as ar_py does for Python).

import {createRequire} from "node:module";
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export let failures = 0;

// diag(...lines): "# " lines (objects as JSON).
export function diag(...lines) {
	for (const l of lines) {
		const s = typeof l === "string" ? l : JSON.stringify(l);
		for (const part of s.split("\n"))
			console.log("# " + part);
	}
}

// ok(cond, name, ...why): one TAP point; why is shown when it fails.
export function ok(cond, name, ...why) {
	console.log((cond ? "ok - " : "not ok - ") + name.replace(/\n/g, " "));
	if (!cond) {
		failures++;
		diag(...why);
	}
	return !!cond;
}

// is(got, want, name): exact comparison (===) of two strings or numbers.
export function is(got, want, name) {
	return ok(got === want, name, `expected: ${JSON.stringify(want)}`, `got:      ${JSON.stringify(got)}`);
}

// same(got, want, name): deep equality of two JSON values.
export function same(got, want, name) {
	const a = JSON.stringify(got), b = JSON.stringify(want);
	return ok(a === b, name, `expected: ${b.slice(0, 2000)}`, `got:      ${a.slice(0, 2000)}`);
}

// end(): the last line, which tells the shell the script ran to its end.
export function end() {
	console.log("END");
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor(fn, what, secs): calls the async fn every 50 ms until it returns
// a truthy value, which it returns; throws "timed out (SECS s) waiting for
// WHAT" after secs (default 30) seconds. An exception in fn counts as false
// (the last one is named in the timeout's message).
export async function waitFor(fn, what, secs = 30) {
	const deadline = Date.now() + secs * 1000;
	let last = null;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (Date.now() > deadline)
			throw new Error(`timed out (${secs} s) waiting for ${what}` +
				(last ? ` (last error: ${last.message})` : ""));
		await sleep(50);
	}
}

// Api: the Background Tasks API at base (e.g. http://127.0.0.1:PORT/sub/),
// as user (password pw-USER) or anonymous.
export class Api {
	constructor(base, user) {
		this.root = new URL("_sme/async_requests/", base).href;
		this.headers = {};
		if (user)
			this.headers.Authorization = "Basic " + Buffer.from(`${user}:pw-${user}`).toString("base64");
	}

	// call(method, path, body): {status, text, json} of one request.
	async call(method, path, body) {
		const headers = {...this.headers};
		if (method !== "GET")
			headers["X-Requested-With"] = "asyncreq";
		if (body !== undefined)
			headers["Content-Type"] = "application/json";
		const r = await fetch(this.root + path, {method, headers,
			body: body === undefined ? undefined : JSON.stringify(body)});
		const buf = Buffer.from(await r.arrayBuffer());
		const text = buf.toString("utf8");
		let json = null;
		try {
			json = JSON.parse(text);
		} catch (e) {
			// a file (file_download) or not JSON
		}
		return {status: r.status, text, json, buf, headers: r.headers};
	}

	// run(body): creates a task and waits (60 s) until it is final;
	// returns its last status.
	async run(body) {
		const c = await this.call("POST", "request", body);
		if (c.status !== 201)
			throw new Error(`POST request answered ${c.status}: ${c.text}`);
		return this.waitFinal(c.json.id);
	}

	async waitFinal(id, secs = 60) {
		return waitFor(async () => {
			const s = await this.call("GET", `status/${id}`);
			return s.status === 200 && ["DONE", "FAILED", "CANCELLED"].includes(s.json.status) && s.json;
		}, `task ${id} to be final`, secs);
	}

	// count(query, dtStart, dtEnd): the result count of query over the range.
	async count(query, dtStart, dtEnd) {
		const s = await this.run({query, dtStart, dtEnd});
		if (s.status !== "DONE")
			throw new Error(`${query}: ${s.status} ${s.error}`);
		return s.resultCount;
	}

	async tasks() {
		const r = await this.call("GET", "status");
		if (r.status !== 200)
			throw new Error(`GET status answered ${r.status}`);
		return r.json.tasks;
	}
}

// launch(): headless Chromium (Debian's /usr/bin/chromium, or
// AR_CHROMIUM) through puppeteer-core from AR_BROWSER_MODULES (default
// /var/cache/asyncreq-deps/browser/node_modules, where scripts/deps
// installs it). Throws a clear error when either is missing.
export async function launch() {
	const modules = process.env.AR_BROWSER_MODULES || "/var/cache/asyncreq-deps/browser/node_modules";
	const exe = process.env.AR_CHROMIUM || "/usr/bin/chromium";
	if (!fs.existsSync(path.join(modules, "puppeteer-core")))
		throw new Error(`puppeteer-core is not in ${modules} (run scripts/deps)`);
	if (!fs.existsSync(exe))
		throw new Error(`${exe} is missing (run scripts/deps: Debian's chromium package)`);
	const require = createRequire(path.join(modules, "noop.js"));
	const puppeteer = require("puppeteer-core");
	return puppeteer.launch({
		executablePath: exe,
		headless: true,
		// As root Chromium refuses to start without --no-sandbox; /dev/shm
		// may be small in containers.
		args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
			"--no-first-run", "--no-default-browser-check", "--lang=en-US"],
		defaultViewport: {width: 1280, height: 800},
		protocolTimeout: 60000,
	});
}

// Shots: PNGs into dir and, when AR_SCREENSHOT_DIR is set, there too.
export class Shots {
	constructor(dir) {
		this.dirs = [dir, process.env.AR_SCREENSHOT_DIR].filter(Boolean);
		for (const d of this.dirs)
			fs.mkdirSync(d, {recursive: true});
	}

	async take(page, name) {
		const png = await page.screenshot({type: "png"});
		for (const d of this.dirs)
			fs.writeFileSync(path.join(d, name), png);
	}
}

// python(code, ...args): stdout of python3 -c code args (openpyxl, csv).
export function python(code, ...args) {
	return execFileSync(process.env.AR_PYTHON || "python3", ["-c", code, ...args],
		{encoding: "utf8"});
}

// jsonTokens(text): the tokens of a JSON text, white space dropped:
// strings as ["s", decoded value], numbers as ["n", their exact text],
// the rest as ["p", text]. Two texts with equal tokens are the same JSON
// with every number spelled the same, however they are indented.
export function jsonTokens(text) {
	const out = [];
	const re = /\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([{}[\]:,]|true|false|null))/gy;
	let m;
	while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
		if (m[1] !== undefined)
			out.push(["s", JSON.parse(m[1])]);
		else if (m[2] !== undefined)
			out.push(["n", m[2]]);
		else
			out.push(["p", m[3]]);
	}
	if (text.slice(re.lastIndex).trim() !== "")
		out.push(["junk", text.slice(re.lastIndex, re.lastIndex + 40)]);
	return out;
}

// eventTexts(text): the exact JSON text of each element of the "events"
// array of an API answer (the API sends events byte for byte as stored;
// JSON.parse would round their 64-bit integers).
export function eventTexts(text) {
	const at = text.indexOf('"events"');
	if (at < 0)
		return [];
	let i = text.indexOf("[", at) + 1, depth = 0, start = -1;
	const out = [];
	for (; i < text.length; i++) {
		const c = text[i];
		if (c === '"') {
			for (i++; i < text.length && text[i] !== '"'; i++)
				if (text[i] === "\\")
					i++;
		} else if (c === "{" || c === "[") {
			if (depth++ === 0)
				start = i;
		} else if (c === "}" || c === "]") {
			if (depth === 0)
				break;
			if (--depth === 0)
				out.push(text.slice(start, i + 1));
		}
	}
	return out;
}

// median(xs), max(xs) of numbers.
export function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	const n = s.length;
	return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

// ctrlEnter(page): Ctrl+Enter in the query editor (runs the search).
export async function ctrlEnter(page) {
	await page.focus("#query");
	await page.keyboard.down("Control");
	await page.keyboard.press("Enter");
	await page.keyboard.up("Control");
}
