// The accessibility checker that a11y.go runs in the page under test: the
// basics of issue 7 (names and labels, images, language, headings,
// contrast, ids, and the data the Go side needs to walk the focus order
// with real Tab key presses). Self-contained on purpose: no npm, no
// axe-core, nothing fetched. Evaluating this file defines
// window.__vigilA11y once per document and yields it.
(() => {
	if (window.__vigilA11y) return window.__vigilA11y;

	const trim = s => (s || "").replace(/\s+/g, " ").trim();

	// describe names an element for a person reading a test failure: its
	// tag, id or classes, a snippet of its text, and a CSS path that finds
	// it (from the nearest ancestor with a unique id).
	const describe = el => {
		if (!el || el.nodeType !== 1) return String(el);
		let head = el.localName;
		if (el.id) head += "#" + el.id;
		else if (el.classList.length) head += "." + Array.from(el.classList).slice(0, 2).join(".");
		const text = trim(el.textContent).slice(0, 40);
		return head + (text ? ` "${text}"` : "") + " at " + path(el);
	};
	const path = el => {
		const parts = [];
		for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
			if (e.id && document.querySelectorAll("#" + CSS.escape(e.id)).length === 1) {
				parts.unshift("#" + CSS.escape(e.id));
				break;
			}
			let part = e.localName;
			const same = e.parentElement ? Array.from(e.parentElement.children).filter(c => c.localName === e.localName) : [];
			if (same.length > 1) part += `:nth-of-type(${same.indexOf(e) + 1})`;
			parts.unshift(part);
		}
		return parts.join(" > ");
	};

	// rendered: not display:none (itself or an ancestor), not hidden by
	// visibility; such elements are out of the accessibility tree too.
	const rendered = el => el.checkVisibility({ visibilityProperty: true });
	// seen: rendered, not transparent, and not the 1-pixel box of text
	// meant for screen readers only.
	const seen = el => {
		if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return false;
		const r = el.getBoundingClientRect();
		if (r.width <= 1 || r.height <= 1) return false;
		const s = getComputedStyle(el);
		return !(s.clip === "rect(0px, 0px, 0px, 0px)" || s.clipPath === "inset(50%)");
	};

	// textOf is the text an element contributes to a name: its text,
	// the alt of its images and the label of its svg images, leaving out
	// what is hidden from assistive technology.
	const textOf = el => {
		let out = "";
		for (const n of el.childNodes) {
			if (n.nodeType === 3) out += n.data;
			if (n.nodeType !== 1 || n.getAttribute("aria-hidden") === "true") continue;
			if (n.localName === "img") out += " " + (n.getAttribute("alt") || "") + " ";
			else if (n.localName === "svg") out += " " + svgName(n) + " ";
			else if (rendered(n)) out += " " + textOf(n) + " ";
		}
		return trim(out);
	};
	const svgName = svg => {
		const title = svg.querySelector(":scope > title");
		return trim(svg.getAttribute("aria-label")) || labelledBy(svg) || trim(title && title.textContent);
	};
	const labelledBy = el => {
		const ids = trim(el.getAttribute("aria-labelledby"));
		if (!ids) return "";
		return trim(ids.split(" ").map(id => {
			const ref = document.getElementById(id);
			return ref ? textOf(ref) || trim(ref.textContent) : "";
		}).join(" "));
	};

	// controlName is a form control's label, by the four means a checker
	// accepts (placeholder and title are not labels).
	const controlName = el => {
		const aria = labelledBy(el) || trim(el.getAttribute("aria-label"));
		if (aria) return aria;
		const labels = Array.from(el.labels || []).map(textOf).filter(Boolean);
		return trim(labels.join(" "));
	};
	const controlSelector = "input, select, textarea";
	const labelless = new Set(["hidden", "submit", "button", "reset", "image"]);
	const needsLabel = el => el.localName !== "input" || !labelless.has((el.getAttribute("type") || "text").toLowerCase());

	// buttonName is the accessible name of a button or link.
	const buttonName = el => {
		const aria = labelledBy(el) || trim(el.getAttribute("aria-label"));
		if (aria) return aria;
		if (el.localName === "input") {
			const type = (el.getAttribute("type") || "").toLowerCase();
			if (type === "image") return trim(el.getAttribute("alt"));
			// A submit or reset button without a value has the browser's
			// own label; a plain button has none.
			if (el.hasAttribute("value")) return trim(el.value);
			return type === "button" ? "" : type;
		}
		return textOf(el) || trim(el.getAttribute("title"));
	};

	// Colours: parsed from the computed value, through a canvas when the
	// browser writes one in a form other than rgb()/rgba().
	let canvas;
	const parseColour = c => {
		const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(c);
		if (m) {
			let a = m[4] === undefined ? 1 : parseFloat(m[4]);
			if (m[4] && m[4].endsWith("%")) a /= 100;
			return [+m[1], +m[2], +m[3], a];
		}
		if (c === "transparent") return [0, 0, 0, 0];
		canvas = canvas || document.createElement("canvas");
		canvas.width = canvas.height = 1;
		const ctx = canvas.getContext("2d", { willReadFrequently: true });
		ctx.clearRect(0, 0, 1, 1);
		ctx.fillStyle = c;
		ctx.fillRect(0, 0, 1, 1);
		const d = ctx.getImageData(0, 0, 1, 1).data;
		return [d[0], d[1], d[2], d[3] / 255];
	};
	// over composites colour top (with alpha) over an opaque bottom.
	const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
	const luminance = c => {
		const [r, g, b] = c.slice(0, 3).map(v => {
			v /= 255;
			return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const ratio = (a, b) => {
		const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
		return (l1 + 0.05) / (l2 + 0.05);
	};
	const hex = c => "#" + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, "0")).join("");

	// background is the colour behind el's text: the background colours
	// of el and its ancestors, up to the first opaque one, composited over
	// white. It is null when an image lies behind (a gradient, a picture),
	// which this checker cannot judge.
	const background = el => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const s = getComputedStyle(e);
			if (s.backgroundImage !== "none") return null;
			const c = parseColour(s.backgroundColor);
			if (c[3] > 0) layers.push(c);
			if (c[3] >= 1) break;
		}
		let bg = [255, 255, 255, 1];
		for (const c of layers.reverse()) bg = over(c, bg);
		return bg;
	};

	const checks = {
		names(out) {
			for (const el of document.querySelectorAll(controlSelector)) {
				if (!needsLabel(el) || !rendered(el)) continue;
				if (!controlName(el)) {
					out.push({ rule: "label", element: describe(el),
						message: "form control has no label: give it a <label for>, a wrapping <label>, aria-label or aria-labelledby" });
				}
			}
			const buttons = 'button, a[href], [role="button"], input[type="submit" i], input[type="button" i], input[type="reset" i], input[type="image" i]';
			for (const el of document.querySelectorAll(buttons)) {
				if (!rendered(el)) continue;
				if (!buttonName(el)) {
					const what = el.localName === "a" ? "link" : "button";
					out.push({ rule: "name", element: describe(el),
						message: `${what} has no accessible name: give it text, aria-label, title or an image with alt` });
				}
			}
		},
		images(out) {
			for (const img of document.querySelectorAll("img")) {
				if (!img.hasAttribute("alt")) {
					out.push({ rule: "img-alt", element: describe(img) + ` src=${img.getAttribute("src")}`,
						message: 'image has no alt attribute (alt="" marks a decorative one)' });
				}
			}
			for (const svg of document.querySelectorAll('svg[role="img"]')) {
				if (!svgName(svg)) {
					out.push({ rule: "svg-name", element: describe(svg),
						message: 'svg with role="img" has neither a <title> nor aria-label' });
				}
			}
		},
		structure(out) {
			if (!trim(document.documentElement.getAttribute("lang"))) {
				out.push({ rule: "lang", element: "html", message: "<html> has no lang attribute" });
			}
			const h1s = Array.from(document.querySelectorAll("h1")).filter(rendered);
			if (h1s.length !== 1) {
				out.push({ rule: "h1", element: h1s.map(describe).join("; ") || "document",
					message: `the page has ${h1s.length} <h1> elements; want exactly one` });
			}
			let prev = 0;
			for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"][aria-level]')) {
				if (!rendered(h)) continue;
				const level = h.getAttribute("role") === "heading" ? parseInt(h.getAttribute("aria-level"), 10) : +h.localName[1];
				if (prev && level > prev + 1) {
					out.push({ rule: "heading-order", element: describe(h),
						message: `heading level ${level} follows level ${prev}: levels must not be skipped going down` });
				}
				prev = level;
			}
		},
		contrast(out) {
			const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_ELEMENT);
			for (let el = walker.currentNode; el; el = walker.nextNode()) {
				if (["script", "style", "noscript", "template", "title", "option"].includes(el.localName)) continue;
				const direct = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.data.trim());
				if (!direct || !seen(el) || el.disabled) continue;
				const s = getComputedStyle(el);
				const bg = background(el);
				if (!bg) continue;
				const fg = over(parseColour(s.color), bg);
				const r = ratio(fg, bg);
				const size = parseFloat(s.fontSize);
				const large = size >= 24 || (size >= 18.66 && parseInt(s.fontWeight, 10) >= 700);
				const want = large ? 3 : 4.5;
				if (r + 1e-9 < want) {
					out.push({ rule: "contrast", element: describe(el),
						message: `text ${hex(fg)} on ${hex(bg)} has contrast ${r.toFixed(2)}:1; want at least ${want}:1` +
							` (${large ? "large" : "normal"} text, ${size}px, weight ${s.fontWeight})` });
				}
			}
		},
		ids(out) {
			const byID = new Map();
			for (const el of document.querySelectorAll("[id]")) {
				if (!byID.has(el.id)) byID.set(el.id, []);
				byID.get(el.id).push(el);
			}
			for (const [id, els] of byID) {
				if (els.length > 1) {
					out.push({ rule: "duplicate-id", element: els.map(describe).join("; "),
						message: `id "${id}" is used by ${els.length} elements` });
				}
			}
			// Two controls with one label cannot be told apart by someone
			// who hears the labels; radios and checkboxes are told apart by
			// their fieldset's legend as well.
			const byLabel = new Map();
			for (const el of document.querySelectorAll(controlSelector)) {
				if (!needsLabel(el) || !rendered(el)) continue;
				const name = controlName(el).toLowerCase();
				if (!name) continue;
				const fs = el.closest("fieldset");
				const legend = fs && fs.querySelector(":scope > legend");
				const key = trim(legend && legend.textContent).toLowerCase() + "\u0000" + name;
				if (!byLabel.has(key)) byLabel.set(key, []);
				byLabel.get(key).push(el);
			}
			for (const els of byLabel.values()) {
				if (els.length > 1) {
					out.push({ rule: "duplicate-label", element: els.map(describe).join("; "),
						message: `${els.length} form controls share the label "${controlName(els[0])}"` });
				}
			}
		},
		tabindex(out) {
			for (const el of document.querySelectorAll("[tabindex]")) {
				if (parseInt(el.getAttribute("tabindex"), 10) > 0) {
					out.push({ rule: "tabindex", element: describe(el),
						message: `tabindex="${el.getAttribute("tabindex")}" reorders the focus order; use 0 or -1 and the document order` });
				}
			}
		},
	};

	// Focus walk support. tabbable lists the elements that Tab must
	// reach: focusable by sequential navigation and rendered.
	const focusableSelector = 'a[href], area[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable="true"], [contenteditable=""], audio[controls], video[controls]';
	const tabbable = () => Array.from(document.querySelectorAll(focusableSelector)).filter(el =>
		!el.disabled && !el.closest("[inert]") && el.tabIndex >= 0 &&
		!(el.localName === "input" && el.type === "hidden") &&
		rendered(el) && el.getClientRects().length > 0);
	const indicator = el => {
		const s = getComputedStyle(el);
		return { outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
			outlineColor: s.outlineColor, boxShadow: s.boxShadow };
	};
	// radioGroup names the group of a radio button: Tab enters a group of
	// radios once, on its checked (or first) button.
	const radioGroup = el => el.localName === "input" && el.type === "radio" && el.name
		? (el.form ? path(el.form) : "") + "\u0000" + el.name : "";

	let state = null;
	const api = {
		check() {
			const out = [];
			for (const c of Object.values(checks)) c(out);
			return out;
		},
		// focusStart records the tabbable elements and puts the focus
		// navigation's starting point at the top of the page.
		focusStart() {
			if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
			const els = tabbable();
			state = { els, seen: [], start: document.createElement("span") };
			state.start.tabIndex = -1;
			state.start.style.cssText = "position:absolute;top:0;left:0;width:1px;height:1px;overflow:hidden";
			document.body.prepend(state.start);
			state.start.focus({ preventScroll: false });
			window.scrollTo(0, 0);
			return els.map(el => ({ element: describe(el), group: radioGroup(el) }));
		},
		// focusStep reports where focus is after a Tab press: outside the
		// page's elements, or on an element, which it numbers in the order
		// first seen (seen) so that the walk can tell a return, and whose
		// place among the tabbable elements (index, -1 when not one) and
		// focus style it gives.
		focusStep() {
			const el = document.activeElement;
			if (!el || el === document.body || el === document.documentElement || el === state.start) {
				return { outside: true, index: -1, seen: -1, element: "", focused: null };
			}
			let seen = state.seen.indexOf(el);
			if (seen < 0) {
				state.seen.push(el);
				seen = state.seen.length - 1;
			}
			return { outside: false, index: state.els.indexOf(el), seen, element: describe(el), focused: indicator(el) };
		},
		// focusEnd takes the focus away and returns the styles of the
		// elements the walk saw, unfocused.
		focusEnd() {
			if (document.activeElement) document.activeElement.blur();
			state.start.remove();
			const out = state.seen.map(indicator);
			state = null;
			return out;
		},
	};
	window.__vigilA11y = api;
	return api;
})()
