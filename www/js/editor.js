// editor.js - the query editor: a <textarea> (#query) over a highlighted
// copy (#query-hl), Ctrl+Enter to run, the place of a parse error, and
// the edits the sidebar makes.

import {$} from "./dom.js";
import {render, tokens, codeUnitOffset} from "./highlight.js";

let errorAt = -1;

// init(run): highlights as the query is typed; Ctrl+Enter (Cmd+Enter) calls run().
export function init(run) {
	const q = $("query");
	q.addEventListener("input", () => {
		clearError();
		paint();
	});
	q.addEventListener("scroll", () => {
		$("query-hl").scrollTop = q.scrollTop;
		$("query-hl").scrollLeft = q.scrollLeft;
	});
	q.addEventListener("keydown", (e) => {
		if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
			e.preventDefault();
			run();
		}
	});
	paint();
}

// paint(): redraws the highlighting and sizes the editor to its lines.
function paint() {
	const q = $("query");
	render($("query-hl"), q.value, errorAt);
	q.rows = Math.min(12, Math.max(2, q.value.split("\n").length));
}

// get(): the query text.
export const get = () => $("query").value;

// set(text): replaces the query text (and clears an error shown).
export function set(text) {
	$("query").value = text;
	clearError();
	paint();
}

// showError(err): shows an API parse error (error.line, .column,
// .position, .reason) at its place; any other error only as text.
export function showError(err) {
	const el = $("query-error");
	if (err.line !== undefined && err.column !== undefined) {
		// The reason ends with the place too ("... at line 1, column 12"): say it once.
		const reason = String(err.reason).replace(/ at line \d+, column \d+$/, "");
		el.textContent = `line ${err.line}, column ${err.column}: ${reason}`;
		el.dataset.line = err.line;
		el.dataset.column = err.column;
		errorAt = err.position !== undefined ? codeUnitOffset(get(), err.position) : -1;
	} else {
		el.textContent = err.reason;
		delete el.dataset.line;
		delete el.dataset.column;
		errorAt = -1;
	}
	el.hidden = false;
	paint();
}

// clearError(): hides the error shown, if any.
export function clearError() {
	$("query-error").hidden = true;
	if (errorAt !== -1) {
		errorAt = -1;
		render($("query-hl"), get(), -1);
	}
}

// literal(v): v as an SML search value: numbers and booleans bare, plain
// words bare, anything else as a double-quoted string with \ and " escaped.
export function literal(v) {
	if (typeof v === "number" || typeof v === "boolean")
		return String(v);
	const s = typeof v === "string" ? v : JSON.stringify(v);
	if (/^[A-Za-z0-9_.:-]+$/.test(s) && !/^(and|or|not|in)$/i.test(s))
		return s;
	return '"' + s.replace(/[\\"]/g, (c) => "\\" + c) + '"';
}

// addFilter(name, value, negate): adds "name=value" (or "!=") to the
// search right after the query's first command, or inserts
// "| search name=value" there when the second command is no search.
export function addFilter(name, value, negate) {
	const text = get();
	const cond = `${name}${negate ? "!=" : "="}${literal(value)}`;
	const toks = tokens(text).filter((t) => t.type !== "ws" && t.type !== "comment");
	const pipes = toks.filter((t) => t.type === "pipe");
	// A leading "|" (as in "| makeresults") is not a separator.
	const seps = toks.length && toks[0].type === "pipe" ? pipes.slice(1) : pipes;
	const first = seps[0], second = seps[1];
	if (first) {
		const after = toks[toks.indexOf(first) + 1];
		if (after && after.type === "cmd" && text.slice(after.start, after.end) === "search") {
			const end = second ? second.start : text.length;
			const head = text.slice(0, end).replace(/\s+$/, "");
			set(head + " " + cond + (second ? " " + text.slice(end) : ""));
			return;
		}
		const head = text.slice(0, first.start).replace(/\s+$/, "");
		set(`${head} | search ${cond} ${text.slice(first.start)}`);
		return;
	}
	set(`${text.replace(/\s+$/, "")} | search ${cond}`);
}
