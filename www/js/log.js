// log.js - the task log panel (#log).

import {$, h, clear} from "./dom.js";
import * as api from "./api.js";

// show(id): fetches and renders the log of task id (null: empties it).
export async function show(id) {
	const ol = clear($("log"));
	if (!id)
		return;
	const j = await api.logs(id);
	for (const l of j.logs)
		ol.append(h("li", {class: `log-line level-${l.level.toLowerCase()}`},
			h("span", {class: "log-time", text: l.time}), " ",
			h("span", {class: "log-level", text: l.level}), " ",
			h("span", {class: "log-message", text: l.message})));
}
