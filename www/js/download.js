// download.js - the download dialog (#download-dialog): json, csv or xlsx,
// zipped or not, all results or the first N; the file is saved through an
// <a download>.

import {$, h} from "./dom.js";
import * as api from "./api.js";

let taskId = () => null, onError = () => {};

// init(current, error): current() is the task shown; error(e) reports a failure.
export function init(current, error) {
	taskId = current;
	onError = error;
	$("download").addEventListener("click", () => $("download-dialog").showModal());
	$("dl-cancel").addEventListener("click", () => $("download-dialog").close());
	$("dl-all").addEventListener("change", () => {
		$("dl-size").disabled = $("dl-all").checked;
	});
	$("dl-size").disabled = $("dl-all").checked;
	$("dl-go").addEventListener("click", (e) => {
		e.preventDefault();
		save();
	});
}

// fileName(disposition): the file name of a Content-Disposition header
// (filename*=UTF-8'' first, else filename=), or null.
export function fileName(disposition) {
	const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
	if (star)
		return decodeURIComponent(star[1]);
	const plain = /filename="([^"]*)"/i.exec(disposition || "");
	return plain ? plain[1] : null;
}

// save(): asks the API for the file and hands it to the browser.
async function save() {
	const id = taskId();
	if (!id)
		return;
	const body = {file_name: $("dl-name").value || "results", file_type: $("dl-type").value,
		compress_results: $("dl-zip").checked, download_all_results: $("dl-all").checked};
	if (!body.download_all_results)
		body.download_results_size = Number($("dl-size").value) || 1;
	$("dl-go").disabled = true;
	$("dl-state").textContent = "preparing…";
	try {
		const resp = await api.download(id, body);
		const blob = await resp.blob();
		const name = fileName(resp.headers.get("Content-Disposition")) || `results.${body.file_type}`;
		const href = URL.createObjectURL(blob);
		const a = h("a", {href, download: name, hidden: true});
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(href), 60000);
		$("dl-state").textContent = `saved ${name} (${blob.size} bytes)`;
		$("download-dialog").close();
	} catch (e) {
		$("dl-state").textContent = e.message;
		onError(e);
	} finally {
		$("dl-go").disabled = false;
	}
}
