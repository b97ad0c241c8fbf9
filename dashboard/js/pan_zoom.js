// Pan and zoom of an <svg> by moving its viewBox: wheel, drag, pinch, buttons and keys.
// A drag never counts as a click, so dragging across desks does not select them.

const DRAG_THRESHOLD_PX = 4;
const KEY_ZOOM = 1.25;
const KEY_PAN = 0.1;

/** Pan/zoom controller for one <svg>; call setBase() with the content box first. */
export class PanZoom {
  #svg;
  #base = { x: 0, y: 0, w: 100, h: 100 };
  #view = { ...this.#base };
  #maxScale;
  #drag = null;
  #suppressClick = false;
  // Touch points on the map by pointerId; two of them make a pinch.
  #touches = new Map();
  #pinch = null;

  constructor(svg, { maxScale = 10 } = {}) {
    this.#svg = svg;
    this.#maxScale = maxScale;
    svg.addEventListener("wheel", (e) => this.#onWheel(e), { passive: false });
    svg.addEventListener("pointerdown", (e) => this.#onPointerDown(e));
    svg.addEventListener("pointermove", (e) => this.#onPointerMove(e));
    svg.addEventListener("pointerup", (e) => this.#onPointerUp(e));
    svg.addEventListener("pointercancel", (e) => this.#onPointerUp(e));
    svg.addEventListener("click", (e) => this.#onClickCapture(e), true);
    svg.addEventListener("keydown", (e) => this.#onKeyDown(e));
  }

  /** The whole-content box in SVG units; resets the view to it. */
  setBase(box) {
    this.#base = { ...box };
    this.reset();
  }

  /** Zoom factor relative to the whole floor (1 = all of it). */
  get scale() {
    return this.#base.w / this.#view.w;
  }

  reset() {
    this.#setView({ ...this.#base });
  }

  /** Zoom by factor (>1 in) keeping the SVG point `at` fixed on screen (default: view centre). */
  zoomBy(factor, at = this.#centre()) {
    const scale = Math.min(this.#maxScale, Math.max(1, this.scale * factor));
    const w = this.#base.w / scale;
    const h = this.#base.h / scale;
    const fx = (at.x - this.#view.x) / this.#view.w;
    const fy = (at.y - this.#view.y) / this.#view.h;
    this.#setView({ x: at.x - fx * w, y: at.y - fy * h, w, h });
  }

  /** Pan by fractions of the visible width and height. */
  panBy(fx, fy) {
    this.#setView({ ...this.#view, x: this.#view.x + fx * this.#view.w, y: this.#view.y + fy * this.#view.h });
  }

  /** Pan so that SVG point (x, y) is visible, with a margin; no change if it already is. */
  ensureVisible(x, y, margin = 2) {
    const v = this.#view;
    if (x - margin >= v.x && x + margin <= v.x + v.w && y - margin >= v.y && y + margin <= v.y + v.h) return;
    this.#setView({ ...v, x: x - v.w / 2, y: y - v.h / 2 });
  }

  /** Show the rect {x, y, w, h} (SVG units) as large as the map's box allows, with a margin. */
  fit(rect, margin = 0.5) {
    const box = this.#svg.getBoundingClientRect();
    const aspect = box.width > 0 && box.height > 0 ? box.width / box.height : this.#base.w / this.#base.h;
    let w = rect.w + 2 * margin;
    let h = rect.h + 2 * margin;
    if (w / h < aspect) w = h * aspect;
    else h = w / aspect;
    const scale = Math.min(this.#maxScale, Math.max(1, this.#base.w / w));
    w = this.#base.w / scale;
    h = w / aspect;
    this.#setView({ x: rect.x + rect.w / 2 - w / 2, y: rect.y + rect.h / 2 - h / 2, w, h });
  }

  #centre() {
    return { x: this.#view.x + this.#view.w / 2, y: this.#view.y + this.#view.h / 2 };
  }

  #setView(view) {
    // Keep the view's centre over the floor so it cannot be lost off-screen.
    const b = this.#base;
    const cx = Math.min(b.x + b.w, Math.max(b.x, view.x + view.w / 2));
    const cy = Math.min(b.y + b.h, Math.max(b.y, view.y + view.h / 2));
    this.#view = { x: cx - view.w / 2, y: cy - view.h / 2, w: view.w, h: view.h };
    const r = (n) => Math.round(n * 1000) / 1000;
    this.#svg.setAttribute("viewBox", `${r(this.#view.x)} ${r(this.#view.y)} ${r(this.#view.w)} ${r(this.#view.h)}`);
    this.#svg.dataset.zoom = r(this.scale);
  }

  #toSvgPoint(clientX, clientY) {
    const ctm = this.#svg.getScreenCTM();
    if (!ctm) return this.#centre();
    const p = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
    return { x: p.x, y: p.y };
  }

  #onWheel(event) {
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    const factor = Math.exp((-event.deltaY * lines) / 500);
    this.zoomBy(factor, this.#toSvgPoint(event.clientX, event.clientY));
  }

  #onPointerDown(event) {
    if (event.button !== 0) return;
    if (event.pointerType === "touch") {
      this.#touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (this.#touches.size === 2) {
        this.#startPinch();
        return;
      }
    }
    this.#drag = { id: event.pointerId, x: event.clientX, y: event.clientY, view: { ...this.#view }, moved: false };
  }

  /** Two fingers: zoom by the change of their distance, about their midpoint. */
  #startPinch() {
    const [a, b] = [...this.#touches.values()];
    this.#drag = null;
    this.#pinch = { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, scale: this.scale };
    this.#suppressClick = true;
  }

  #onPinchMove(event) {
    this.#touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const [a, b] = [...this.#touches.values()];
    const distance = Math.hypot(a.x - b.x, a.y - b.y) || 1;
    const target = this.#pinch.scale * (distance / this.#pinch.distance);
    this.zoomBy(target / this.scale, this.#toSvgPoint((a.x + b.x) / 2, (a.y + b.y) / 2));
  }

  #onPointerMove(event) {
    if (this.#pinch && this.#touches.has(event.pointerId)) {
      this.#onPinchMove(event);
      return;
    }
    const drag = this.#drag;
    if (!drag || drag.id !== event.pointerId) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved) {
      if (Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      drag.moved = true;
      this.#svg.setPointerCapture(event.pointerId);
      this.#svg.classList.add("is-panning");
    }
    const ctm = this.#svg.getScreenCTM();
    const unitsPerPx = ctm ? 1 / ctm.a : 1;
    this.#setView({ ...drag.view, x: drag.view.x - dx * unitsPerPx, y: drag.view.y - dy * unitsPerPx });
  }

  #onPointerUp(event) {
    this.#touches.delete(event.pointerId);
    if (this.#pinch) {
      if (this.#touches.size < 2) {
        this.#pinch = null;
        setTimeout(() => (this.#suppressClick = false), 0);
      }
      return;
    }
    const drag = this.#drag;
    if (!drag || drag.id !== event.pointerId) return;
    this.#drag = null;
    if (drag.moved) {
      this.#suppressClick = true;
      this.#svg.classList.remove("is-panning");
      // The click, if any, fires right after pointerup; forget the flag if it does not.
      setTimeout(() => (this.#suppressClick = false), 0);
    }
  }

  #onClickCapture(event) {
    if (!this.#suppressClick) return;
    this.#suppressClick = false;
    event.stopPropagation();
    event.preventDefault();
  }

  #onKeyDown(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const onMap = event.target === this.#svg;
    switch (event.key) {
      case "+":
      case "=":
        this.zoomBy(KEY_ZOOM);
        break;
      case "-":
      case "_":
        this.zoomBy(1 / KEY_ZOOM);
        break;
      case "0":
        this.reset();
        break;
      case "ArrowLeft":
        if (!onMap) return;
        this.panBy(-KEY_PAN, 0);
        break;
      case "ArrowRight":
        if (!onMap) return;
        this.panBy(KEY_PAN, 0);
        break;
      case "ArrowUp":
        if (!onMap) return;
        this.panBy(0, -KEY_PAN);
        break;
      case "ArrowDown":
        if (!onMap) return;
        this.panBy(0, KEY_PAN);
        break;
      default:
        return;
    }
    event.preventDefault();
  }
}
