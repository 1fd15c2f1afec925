// highlight.js - SML tokens for the query editor's highlighting, and the
// pipeline's top-level "|" positions for the sidebar's query edits.

const KEYWORDS = new Set(["as", "by", "over", "and", "or", "not", "in", "like", "with", "where"]);
const OPS = ["!=", "==", "<=", ">=", "|", "=", "<", ">", "(", ")", ",", "+", "-", "*", "/", "%", "[", "]"];

// tokens(text): the tokens of text, in order, as {type, start, end} where
// type is one of "ws", "comment", "str", "num", "op", "pipe", "cmd", "kw",
// "field", "word". Never throws: an unterminated string or comment runs to
// the end of the text.
export function tokens(text) {
	const out = [];
	let i = 0, expectCmd = true;
	const n = text.length;
	while (i < n) {
		const c = text[i], start = i;
		let type;
		if (/\s/.test(c)) {
			while (i < n && /\s/.test(text[i]))
				i++;
			type = "ws";
		} else if (c === "/" && text[i + 1] === "*") {
			const e = text.indexOf("*/", i + 2);
			i = e < 0 ? n : e + 2;
			type = "comment";
		} else if (c === '"' || c === "'") {
			i++;
			while (i < n && text[i] !== c)
				i += text[i] === "\\" ? 2 : 1;
			i = Math.min(n, i + 1);
			type = "str";
		} else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] || ""))) {
			while (i < n && /[0-9.eE]/.test(text[i]))
				i++;
			type = "num";
		} else if (/[A-Za-z_@$]/.test(c)) {
			while (i < n && /[A-Za-z0-9_.@$:*-]/.test(text[i]))
				i++;
			const word = text.slice(start, i);
			let j = i;
			while (j < n && text[j] === " ")
				j++;
			if (expectCmd)
				type = "cmd";
			else if (KEYWORDS.has(word.toLowerCase()))
				type = "kw";
			else if (text[j] === "=" || (text[j] === "!" && text[j + 1] === "=") ||
			    text[j] === "<" || text[j] === ">")
				type = "field";
			else
				type = "word";
		} else {
			const op = OPS.find((o) => text.startsWith(o, i));
			i += op ? op.length : 1;
			type = op === "|" ? "pipe" : "op";
		}
		if (type !== "ws" && type !== "comment")
			expectCmd = type === "pipe";
		out.push({type, start, end: i});
	}
	return out;
}

// pipes(text): the offsets of the "|" that separate commands (not those in
// strings or comments).
export function pipes(text) {
	return tokens(text).filter((t) => t.type === "pipe").map((t) => t.start);
}

const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);

// render(el, text, errorAt): fills el (the <pre> behind the editor) with
// text as highlighted spans; errorAt (a UTF-16 offset, or -1) wraps the
// rest of the token there in <mark class="tok-error">.
export function render(el, text, errorAt = -1) {
	let html = "";
	// "|" is an operator that also separates commands: both classes.
	const cls = (type) => type === "pipe" ? "tok-op tok-pipe" : `tok-${type}`;
	const span = (type, s) => type === "ws" ? escapeHtml(s) : `<span class="${cls(type)}">${escapeHtml(s)}</span>`;
	for (const t of tokens(text)) {
		const s = text.slice(t.start, t.end);
		if (errorAt >= t.start && errorAt < t.end) {
			const k = errorAt - t.start;
			if (k > 0)
				html += span(t.type, s.slice(0, k));
			html += `<mark class="tok-error">${span(t.type, s.slice(k))}</mark>`;
		} else {
			html += span(t.type, s);
		}
	}
	if (errorAt >= text.length)
		html += '<mark class="tok-error"> </mark>';
	// A final newline needs a character after it to take up its line.
	el.innerHTML = html + "\n";
}

// codeUnitOffset(text, cp): the UTF-16 offset of code point number cp of
// text (the API counts characters; JavaScript strings count UTF-16 units).
export function codeUnitOffset(text, cp) {
	let i = 0;
	for (let k = 0; k < cp && i < text.length; k++)
		i += text.codePointAt(i) > 0xffff ? 2 : 1;
	return i;
}
