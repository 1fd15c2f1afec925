// api.js - the Background Tasks API as the page calls it.
//
// Every URL is relative to the page's own directory (or to the
// <meta name="asyncreq-api"> of index.html), so the page works at "/" and
// under any sub-path that also serves "_sme/" (shared hosting).

import {eventTexts} from "./jsontext.js";

const base = (() => {
	const m = document.querySelector('meta[name="asyncreq-api"]');
	return new URL((m && m.content) || "_sme/async_requests/", document.baseURI);
})();

// ApiError: an answer that was not 2xx. status is the HTTP status, type and
// reason come from the API's error envelope ({"error": {...}}), error is
// that whole object (line, column, position for a parse error).
export class ApiError extends Error {
	constructor(status, error) {
		super(error.reason || `HTTP ${status}`);
		this.status = status;
		this.type = error.type || "";
		this.error = error;
	}
}

let onUnauthorized = () => {};

// setUnauthorizedHandler(fn): fn() is called on every 401 answer.
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

// url(path, params): the absolute URL of endpoint path with query params.
export function url(path, params) {
	const u = new URL(path, base);
	for (const [k, v] of Object.entries(params || {}))
		u.searchParams.set(k, String(v));
	return u.href;
}

// call(method, path, opts): the fetch Response of an API call, after
// checking it. opts.body (an object) is sent as JSON; opts.params as the
// query string; opts.raw returns the Response itself instead of its JSON.
// State changes carry X-Requested-With (the API's cross-site guard).
// Throws ApiError for a non-2xx answer, TypeError when the network fails.
export async function call(method, path, opts = {}) {
	const init = {method, headers: {}, credentials: "same-origin", cache: "no-store"};
	if (method !== "GET")
		init.headers["X-Requested-With"] = "asyncreq";
	if (opts.body !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(opts.body);
	}
	const resp = await fetch(url(path, opts.params), init);
	if (!resp.ok) {
		let error = {reason: `HTTP ${resp.status} ${resp.statusText}`};
		try {
			const j = await resp.json();
			if (j && typeof j.error === "object" && j.error)
				error = j.error;
		} catch (e) {
			// not the API's JSON (a web server's page): keep the status line
		}
		if (resp.status === 401)
			onUnauthorized();
		throw new ApiError(resp.status, error);
	}
	return opts.raw ? resp : resp.json();
}

// The endpoints, one function each (docs/api.md).
export const whoami = () => call("GET", "whoami");
export const create = (body) => call("POST", "request", {body});
export const status = (id) => call("GET", `status/${id}`);
export const tasks = (state) => call("GET", "status", {params: state ? {status: state} : {}});
// response(id, from, to): the results from..to-1 of task id, as
// {json, texts}: the parsed answer and each event's own JSON text.
export async function response(id, from, to) {
	const text = await (await call("GET", `response/${id}`, {params: {from, to}, raw: true})).text();
	return {json: JSON.parse(text), texts: eventTexts(text)};
}
export const logs = (id) => call("GET", `logs/${id}`);
export const stop = (id) => call("POST", `break/${id}`);
export const stopAll = () => call("POST", "break");
export const remove = (id) => call("DELETE", `delete/${id}`);
export const download = (id, body) => call("POST", `file_download/${id}`, {body, raw: true});
// Saved searches (docs/saved-searches.md): _sme/saved_searches, beside
// _sme/async_requests/.
const saved = (rest) => "../saved_searches" + (rest ? "/" + encodeURIComponent(rest) : "");
export const savedList = () => call("GET", saved());
export const savedCreate = (body) => call("POST", saved(), {body});
export const savedPut = (name, body) => call("PUT", saved(name), {body});
export const savedDelete = (name) => call("DELETE", saved(name));
export const savedRun = (name) => call("POST", saved(name) + "/_run");
