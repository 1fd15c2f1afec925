// tasks.js - the list of my tasks (#tasks): a status filter, open one,
// stop one, delete one, stop all.

import {$, h, clear, fmtCount} from "./dom.js";
import * as api from "./api.js";

const FINAL = new Set(["DONE", "FAILED", "CANCELLED"]);
let onOpen = () => {}, onError = () => {};

// init(open, error): open(task) shows a task; error(e) reports a failure.
export function init(open, error) {
	onOpen = open;
	onError = error;
	$("tasks-filter").addEventListener("change", () => refresh());
	$("tasks-refresh").addEventListener("click", () => refresh());
	$("tasks-stop-all").addEventListener("click", () => act(api.stopAll()));
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

// refresh(): fetches and renders the task list.
export async function refresh() {
	let j;
	try {
		j = await api.tasks($("tasks-filter").value);
	} catch (e) {
		onError(e);
		return;
	}
	const table = clear($("tasks"));
	table.append(h("thead", null, h("tr", null, ...["status", "query", "created", "results", ""].map((t) =>
		h("th", {scope: "col", text: t})))));
	const body = h("tbody");
	for (const t of j.tasks) {
		const final = FINAL.has(t.status);
		body.append(h("tr", {class: "task", "data-id": t.id},
			h("td", {class: "task-status", text: t.status, "data-status": t.status}),
			h("td", {class: "task-query", text: t.query, title: t.query}),
			h("td", {class: "task-created", text: t.createdAt}),
			h("td", {class: "task-results num", text: fmtCount(t.resultCount)}),
			h("td", {class: "task-actions"},
				h("button", {type: "button", class: "task-open", text: "Open", onclick: () => onOpen(t)}),
				h("button", {type: "button", class: "task-stop", text: "Stop", disabled: final,
					onclick: () => act(api.stop(t.id))}),
				h("button", {type: "button", class: "task-delete", text: "Delete", onclick: () => {
					if (confirm(`Delete task ${t.id} and its results?`))
						act(api.remove(t.id));
				}}))));
	}
	table.append(body);
	$("tasks-info").textContent = `${j.tasks.length} task${j.tasks.length === 1 ? "" : "s"}`;
}
