// timepicker.js - the time range: presets (#time-preset) and the start and
// end fields (#dt-start, #dt-end), in the API's date math or ISO-8601.

import {$} from "./dom.js";

export const DEFAULT_START = "now-24h";

// init(): fills the fields from the preset when it changes, and switches
// the preset to "custom" when a field is edited by hand.
export function init() {
	$("time-preset").addEventListener("change", () => {
		const v = $("time-preset").value;
		if (v !== "custom") {
			$("dt-start").value = v;
			$("dt-end").value = "now";
		}
		syncCustom();
	});
	for (const id of ["dt-start", "dt-end"])
		$(id).addEventListener("input", () => {
			$("time-preset").value = "custom";
			syncCustom();
		});
	set(DEFAULT_START, "now");
}

// syncCustom(): marks the form when the range is a custom one (CSS shows
// the fields more prominently then).
function syncCustom() {
	$("time-range").classList.toggle("custom", $("time-preset").value === "custom");
}

// set(start, end): shows that range, choosing the preset that names it.
export function set(start, end) {
	$("dt-start").value = start;
	$("dt-end").value = end;
	const preset = [...$("time-preset").options].find((o) => o.value === start);
	$("time-preset").value = preset && end === "now" ? start : "custom";
	syncCustom();
}

// get(): the range as the API takes it, {dtStart, dtEnd}.
export function get() {
	return {dtStart: $("dt-start").value.trim() || DEFAULT_START,
		dtEnd: $("dt-end").value.trim() || "now"};
}
