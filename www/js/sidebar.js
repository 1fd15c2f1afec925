// sidebar.js - the fields of a task's results (#sidebar): count, distinct
// and top values from the sidebar document; a value adds field=value (or
// field!=value) to the query.

import {$, h, clear, cellText, fmtCount} from "./dom.js";

let onPick = () => {};

// init(pick): pick(name, value, negate) is called when a value is chosen.
export function init(pick) {
	onPick = pick;
}

// show(sidebar): renders the sidebar document (null: nothing to show).
export function show(sidebar) {
	const ul = clear($("sidebar"));
	$("sidebar-info").textContent = sidebar ? `${sidebar.fields.length} fields of ${fmtCount(sidebar.totalEvents)} results`
		: "";
	if (!sidebar)
		return;
	for (const f of sidebar.fields) {
		const li = h("li", {class: "field", "data-field": f.name});
		const btn = h("button", {type: "button", class: "field-name", "aria-expanded": "false",
			title: `${f.type}: ${f.count} with a value, ${f.distinct}${f.distinctIsEstimate ? " (estimate)" : ""} distinct`},
		h("span", {class: "field-label", text: f.name}), " ",
		h("span", {class: "field-count", text: String(f.count)}), " ",
		h("span", {class: "field-distinct", text: String(f.distinct)}));
		btn.addEventListener("click", () => toggle(li, btn, f));
		li.append(btn);
		ul.append(li);
	}
}

// toggle(li, btn, f): opens or closes field f's top values under li.
function toggle(li, btn, f) {
	const open = li.querySelector("ul.values");
	if (open) {
		open.remove();
		btn.setAttribute("aria-expanded", "false");
		return;
	}
	btn.setAttribute("aria-expanded", "true");
	const ul = h("ul", {class: "values"});
	for (const t of f.top || []) {
		const text = cellText(t.value);
		ul.append(h("li", {class: "value", "data-value": JSON.stringify(t.value)},
			h("span", {class: "value-text", text, title: text}),
			h("span", {class: "value-count", text: String(t.count), title: `${t.percent.toFixed(1)} %`}),
			h("button", {type: "button", class: "value-add", title: `search ${f.name}=${text}`,
				"aria-label": `search ${f.name} = ${text}`, text: "=", onclick: () => onPick(f.name, t.value, false)}),
			h("button", {type: "button", class: "value-exclude", title: `search ${f.name}!=${text}`,
				"aria-label": `search ${f.name} not ${text}`, text: "≠", onclick: () => onPick(f.name, t.value, true)})));
	}
	if (f.min !== undefined)
		ul.append(h("li", {class: "range", text: `min ${f.min}, max ${f.max}, avg ${Number(f.avg).toPrecision(6)}`}));
	li.append(ul);
}
