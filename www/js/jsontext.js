// jsontext.js - events as the exact JSON text the API sent.
//
// The API returns events byte for byte as they were stored (number
// spelling, escapes, key order); JSON.parse would round 64-bit integers
// and respell numbers. So the page keeps each event's own text, cut out of
// the answer, for the event view and pretty-prints that text.

// skipString(text, i): the offset after the JSON string starting at i.
function skipString(text, i) {
	for (i++; i < text.length; i++) {
		if (text[i] === "\\")
			i++;
		else if (text[i] === '"')
			return i + 1;
	}
	return text.length;
}

// eventTexts(text): the texts of the elements of the top-level "events"
// array of the JSON object text, in order ([] when there is none).
export function eventTexts(text) {
	let depth = 0, key = null, lastString = null, inEvents = false, start = -1;
	const out = [];
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '"') {
			const e = skipString(text, i);
			if (depth === 1)
				lastString = text.slice(i + 1, e - 1);
			else if (inEvents && depth === 2 && start < 0)
				start = i;
			i = e - 1;
			continue;
		}
		if (c === ":" && depth === 1) {
			key = lastString;
			continue;
		}
		if (c === "{" || c === "[") {
			depth++;
			if (depth === 2 && c === "[" && key === "events") {
				inEvents = true;
				continue;
			}
			if (inEvents && depth === 3 && start < 0)
				start = i;
			continue;
		}
		if (c === "}" || c === "]") {
			if (inEvents && depth === 2) {	// the end of the array
				if (start >= 0)
					out.push(text.slice(start, i).trim());
				return out;
			}
			depth--;
			continue;
		}
		if (inEvents && depth === 2) {
			if (c === ",") {
				out.push(text.slice(start, i).trim());
				start = -1;
			} else if (start < 0 && !/\s/.test(c)) {
				start = i;
			}
		}
	}
	return out;
}

// pretty(raw): raw JSON text indented by two spaces per level, one member
// per line, with every number and string exactly as in raw.
export function pretty(raw) {
	let out = "", ind = 0;
	const nl = () => "\n" + "  ".repeat(ind);
	for (let i = 0; i < raw.length; i++) {
		const c = raw[i];
		if (c === '"') {
			const e = skipString(raw, i);
			out += raw.slice(i, e);
			i = e - 1;
		} else if (c === "{" || c === "[") {
			let j = i + 1;
			while (j < raw.length && /\s/.test(raw[j]))
				j++;
			if (raw[j] === (c === "{" ? "}" : "]")) {
				out += c + raw[j];
				i = j;
			} else {
				ind++;
				out += c + nl();
			}
		} else if (c === "}" || c === "]") {
			ind--;
			out += nl() + c;
		} else if (c === ",") {
			out += "," + nl();
		} else if (c === ":") {
			out += ": ";
		} else if (!/\s/.test(c)) {
			out += c;
		}
	}
	return out;
}
