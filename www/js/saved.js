// saved.js - the saved searches panel (#saved): save the current search
// (with an optional cron schedule), load one into the form, run one now,
// delete one (docs/saved-searches.md).

import {$, h, clear} from "./dom.js";
import * as api from "./api.js";

let onOpen = () => {}, onLoad = () => {}, onError = () => {}, current = () => ({});

// init(open, load, error, cur): open(task) shows a task; load(search)
// puts a search's query and range in the form; error(e) reports a
// failure; cur() is the form's {query, dtStart, dtEnd, calculateStats}.
export function init(open, load, error, cur) {
	onOpen = open;
	onLoad = load;
	onError = error;
	current = cur;
	$("saved-refresh").addEventListener("click", () => refresh());
	$("saved-save").addEventListener("click", () => save());
}

// save(): asks a name and a schedule, then stores the form's search
// (replacing one of that name when the user agrees).
async function save() {
	const body = current();
	if (!body.query || !body.query.trim())
		return;
	const name = prompt("Name of the saved search (letters, digits, _ - .)");
	if (!name)
		return;
	const schedule = prompt("Schedule, a cron expression such as */5 * * * * " +
		"or @daily (empty: run by hand only)", "");
	if (schedule === null)
		return;
	body.schedule = schedule.trim() || null;
	try {
		try {
			await api.savedCreate({name, ...body});
		} catch (e) {
			if (!(e instanceof api.ApiError && e.status === 409 &&
			    confirm(`Replace the saved search ${name}?`)))
				throw e;
			await api.savedPut(name, body);
		}
	} catch (e) {
		onError(e);
	}
	await refresh();
}

// act(promise): refreshes the list once the action is done.
async function act(promise) {
	try {
		await promise;
	} catch (e) {
		onError(e);
	}
	await refresh();
}

// runNow(s): runs search s now and shows its task.
async function runNow(s) {
	try {
		const r = await api.savedRun(s.name);
		onOpen(await api.status(r.id));
	} catch (e) {
		onError(e);
	}
}

// refresh(): fetches and renders the saved searches.
export async function refresh() {
	let j;
	try {
		j = await api.savedList();
	} catch (e) {
		onError(e);
		return;
	}
	const table = clear($("saved"));
	table.append(h("thead", null, h("tr", null, ...["name", "query", "schedule", "next run", "last run", ""].map((t) =>
		h("th", {scope: "col", text: t})))));
	const body = h("tbody");
	for (const s of j.saved_searches) {
		body.append(h("tr", {class: "saved", "data-name": s.name},
			h("td", {class: "saved-name", text: s.name}),
			h("td", {class: "saved-query", text: s.query, title: s.query}),
			h("td", {class: "saved-schedule", text: s.schedule || "—"}),
			h("td", {class: "saved-next", text: s.nextRunAt || "—"}),
			h("td", {class: "saved-last", text: s.lastRunAt || "—"}),
			h("td", {class: "saved-actions"},
				h("button", {type: "button", class: "saved-load", text: "Load", onclick: () => onLoad(s)}),
				h("button", {type: "button", class: "saved-run", text: "Run now", disabled: !!s.runningTask,
					onclick: () => runNow(s)}),
				h("button", {type: "button", class: "saved-delete", text: "Delete", onclick: () => {
					if (confirm(`Delete the saved search ${s.name}? Its runs stay tasks.`))
						act(api.savedDelete(s.name));
				}}))));
	}
	table.append(body);
	const n = j.saved_searches.length;
	$("saved-info").textContent = `${n} saved search${n === 1 ? "" : "es"}`;
}
